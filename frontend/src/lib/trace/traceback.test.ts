import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import type { EndEvent } from "../wire/protocol";
import { exceptionOf, parseTraceback } from "./traceback";

const end = loadFixture("trace-raises").frames.find((f): f is EndEvent => f.type === "end");

describe("a failed script's traceback (recorded)", () => {
  const text = end?.traceback ?? "";
  const rows = parseTraceback(text);

  it("keeps every line of the text, in order", () => {
    expect(rows.map((r) => r.text).join("\n")).toBe(text.replace(/\n$/, ""));
  });

  it("finds the script's frames with their lines, and marks the one that raised", () => {
    const frames = rows.filter((r) => r.kind === "frame");
    const script = text.match(/File "([^"]+)"/)?.[1] ?? "";
    expect(frames.map((f) => f.file)).toEqual([script, script]);
    expect(frames.every((f) => f.own)).toBe(true);
    const lines = [...text.matchAll(/line (\d+), in (\S+)/g)].map((m) => [Number(m[1]), m[2]]);
    expect(frames.map((f) => [f.line, f.fn])).toEqual(lines);
    expect(frames.map((f) => f.raised)).toEqual([false, true]);
    const raisedCode = rows.filter((r) => r.kind === "code" && r.raised);
    expect(raisedCode.map((r) => r.text.trim())).toEqual([
      text
        .split("\n")
        .find((l) => l.trim().startsWith("raise"))
        ?.trim(),
    ]);
  });

  it("ends with the exception the end event names", () => {
    expect(exceptionOf(rows)).toBe(end?.message);
  });

  it("tells a library's frames from the script's", () => {
    const [frame] = parseTraceback(
      '  File "/usr/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1, in f',
    );
    expect(frame?.kind === "frame" && frame.own).toBe(false);
  });
});
