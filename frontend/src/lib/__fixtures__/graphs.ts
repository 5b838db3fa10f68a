// The real autograd graphs of the scenarios' first iterations, for layout tests.
import { readFileSync } from "node:fs";
import type { GraphEvent } from "../wire/protocol";
import { loadFixture } from "./load";

/** One scenario's graph frame (classify's recorded from the server with its defaults). */
export function graphOf(name: "linear" | "mlp" | "classify"): GraphEvent {
  if (name === "classify") {
    const url = new URL("./classify-graph.json", import.meta.url);
    return JSON.parse(readFileSync(url, "utf8")) as GraphEvent;
  }
  const g = loadFixture(name).frames.find((f): f is GraphEvent => f.type === "graph");
  if (!g) throw new Error(`${name} fixture has no graph frame`);
  return g;
}

/** A 2-block transformer's graph (scripts/record-transformer-graph.py, from the real walk). */
export function transformerGraph(): GraphEvent {
  const url = new URL("./transformer-graph.json", import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as GraphEvent;
}
