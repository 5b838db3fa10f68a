import { describe, expect, it } from "vitest";
import { assignmentLines, enclosingLoops, tokenize } from "./pysource";

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

describe("enclosingLoops", () => {
  // A script in the shape of a course's transformer: loops in the model, in a sampling
  // function, around the training step and after it.
  const script = [
    "class Model(nn.Module):", // 1
    "    def forward(self, idx):", // 2
    "        for block in self.blocks:", // 3
    "            x = block(x)", // 4
    "def sample(model, n):", // 5
    "    for _ in range(n):", // 6
    "        pass", // 7
    "model = Model()", // 8
    "for epoch in range(3):", // 9
    "    # one pass over the data", // 10
    "", // 11
    "    for xb, yb in loader:", // 12
    "        if xb is None:", // 13
    "            continue", // 14
    "        logits = model(xb)", // 15
    "while False:", // 16
    "    pass", // 17
  ];

  it("lists only the loops whose bodies hold the line, outermost first", () => {
    expect(enclosingLoops(script, 15)).toEqual([
      "for epoch in range(3):",
      "    for xb, yb in loader:",
    ]);
  });

  it("finds a loop inside a function, not the loops of other functions", () => {
    expect(enclosingLoops(script, 4)).toEqual(["        for block in self.blocks:"]);
    expect(enclosingLoops(script, 7)).toEqual(["    for _ in range(n):"]);
  });

  it("gives nothing for a line at the top level or outside the listing", () => {
    expect(enclosingLoops(script, 8)).toEqual([]);
    expect(enclosingLoops(script, 99)).toEqual([]);
  });

  it("reads a while loop as a loop too", () => {
    expect(enclosingLoops(script, 17)).toEqual(["while False:"]);
  });
});
