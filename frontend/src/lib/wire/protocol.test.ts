// The generated types must match the backend's schema: regenerate in memory and compare.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseEvent } from "./protocol";

function backendAvailable(): boolean {
  try {
    execFileSync("node", ["scripts/gen-types.mjs", "--check"], { stdio: "pipe" });
    return true;
  } catch (error) {
    // Exit status 1 is drift (a failure below); anything else means no Python/backend here.
    return (error as { status?: number }).status === 1;
  }
}

describe("protocol.gen.ts", () => {
  it.runIf(backendAvailable())(
    "is what scripts/gen-types.mjs writes from the schema today",
    async () => {
      const { render, readSchema } = (await import("../../../scripts/gen-types.mjs")) as {
        render: (schema: unknown) => string;
        readSchema: () => unknown;
      };
      const committed = readFileSync(new URL("./protocol.gen.ts", import.meta.url), "utf8");
      expect(render(readSchema())).toBe(committed);
    },
    // It starts Python and imports torch: slow on a busy machine, and not what is tested.
    60_000,
  );

  it("marks itself as generated", () => {
    const committed = readFileSync(new URL("./protocol.gen.ts", import.meta.url), "utf8");
    expect(committed.startsWith("// GENERATED")).toBe(true);
  });
});

describe("parseEvent", () => {
  it("accepts the server's event types and nothing else", () => {
    expect(parseEvent('{"type":"graph"}')?.type).toBe("graph");
    expect(parseEvent('{"type":"play_state","playing":false}')?.type).toBe("play_state");
    expect(parseEvent('{"type":"losses","first":0,"n_batches":1,"values":[]}')?.type).toBe(
      "losses",
    );
    expect(parseEvent('{"type":"start"}')).toBeNull();
    expect(parseEvent("[1]")).toBeNull();
    expect(parseEvent("{")).toBeNull();
    expect(parseEvent("null")).toBeNull();
  });
});
