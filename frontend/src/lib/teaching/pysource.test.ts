import { describe, expect, it } from "vitest";
import { assignmentLines, tokenize } from "./pysource";

const symbols = (line: string) =>
  tokenize(line)
    .filter((t) => t.symbol)
    .map((t) => t.symbol);

describe("tokenize", () => {
  it("gives each name the dotted chain it ends", () => {
    expect(symbols("    optimizer.zero_grad()")).toEqual(["optimizer", "optimizer.zero_grad"]);
    expect(symbols("        self.linear = nn.Linear(1, 1)")).toEqual([
      "self",
      "self.linear",
      "nn",
      "nn.Linear",
    ]);
    expect(symbols("    loss = criterion(y_pred, y_batch)")).toEqual([
      "loss",
      "criterion",
      "y_pred",
      "y_batch",
    ]);
  });

  it("keeps the text intact and classifies keywords, numbers, strings and comments", () => {
    const line = "for epoch in range(epochs):  # 'x' 1.5";
    const tokens = tokenize(line);
    expect(tokens.map((t) => t.text).join("")).toBe(line);
    expect(tokens.find((t) => t.text === "for")?.kind).toBe("keyword");
    expect(tokens.find((t) => t.text === "range")?.kind).toBe("builtin");
    expect(tokens.at(-1)?.kind).toBe("comment");
    const call = tokenize("f('a.b', 0.01)");
    expect(call.map((t) => t.kind)).toEqual([
      "name",
      "op",
      "string",
      "op",
      "space",
      "number",
      "op",
    ]);
  });
});

describe("assignmentLines", () => {
  it("finds where each child module was assigned", () => {
    const lines = [
      "class SimpleNet(nn.Module):",
      "    def __init__(self):",
      "        self.linear = nn.Linear(1, 1)",
    ];
    expect([...assignmentLines(lines)]).toEqual([["linear", 3]]);
  });
});
