// LaTeX that can wrap onto further lines (pure).
//
// KaTeX never breaks a display-mode formula: a long one is cut off or scrolls. In inline mode
// it breaks after any top-level relation (=, ←) or binary operator (+, −, ×), anywhere,
// including inside "(1 - 0.999)" or between the factors of "3.9\times10^{-4}". breakable()
// rewrites a formula for inline mode so that it breaks only where a reader expects it: each
// stretch between two top-level operators (outside parentheses) becomes one display-style
// group, `{\displaystyle …}`, which looks as in display mode and is never split.

/** Commands KaTeX treats as a relation or a binary operator: the places a line may break. */
const OPERATORS = new Set([
  "\\times",
  "\\cdot",
  "\\leftarrow",
  "\\rightarrow",
  "\\Rightarrow",
  "\\approx",
  "\\ne",
  "\\le",
  "\\ge",
]);
/** Commands that open or close a bracket the formula must not break inside. */
const OPEN = new Set(["\\lvert", "\\left"]);
const CLOSE = new Set(["\\rvert", "\\right"]);
/** Sizing commands whose delimiter belongs to them ("\Big[" is one token, not a bracket). */
const SIZED = /^\\(?:big|Big|bigg|Bigg)[lrm]?$/;

/** One token: a braced group, a command (with a sized delimiter), or one character. */
function nextToken(tex: string, at: number): string {
  const c = tex[at] ?? "";
  if (c === "{") {
    let depth = 0;
    for (let k = at; k < tex.length; k++) {
      if (tex[k] === "\\") k++;
      else if (tex[k] === "{") depth++;
      else if (tex[k] === "}" && --depth === 0) return tex.slice(at, k + 1);
    }
    return tex.slice(at);
  }
  if (c === "\\") {
    const name = /^\\(?:[a-zA-Z]+|.)/.exec(tex.slice(at))?.[0] ?? c;
    if (SIZED.test(name)) {
      const rest = /^\s*(?:\\[a-zA-Z]+|\\.|.)/.exec(tex.slice(at + name.length))?.[0] ?? "";
      return name + rest;
    }
    return name;
  }
  return c;
}

/**
 * The formula regrouped for inline mode: display-style groups joined by the top-level
 * operators, so KaTeX may break after `=`, `+`, `-`, `\times`, … but nowhere else.
 * A minus that starts a stretch is a sign, not an operator.
 */
export function breakable(tex: string): string {
  const out: string[] = [];
  let run = "";
  let depth = 0; // parentheses and \lvert…\rvert, \left…\right
  const flush = () => {
    if (run.trim()) out.push(`{\\displaystyle ${run.trim()}}`);
    run = "";
  };
  for (let at = 0; at < tex.length;) {
    const token = nextToken(tex, at);
    at += token.length;
    const name = token.replace(/[^\\a-zA-Z].*$/, "");
    if (token === "(" || OPEN.has(name)) depth++;
    else if (token === ")" || CLOSE.has(name)) depth = Math.max(0, depth - 1);
    // "3.9\times10^{-4}" is one number: its \times is no place to break.
    const inNumber = token === "\\times" && /\d$/.test(run) && tex.startsWith("10^", at);
    const operator =
      depth === 0 &&
      !inNumber &&
      (token === "=" || OPERATORS.has(token) || ((token === "+" || token === "-") && run.trim()));
    if (operator) {
      flush();
      out.push(token);
    } else if (depth === 0 && token === "," && /^\\[,;:]|^\\quad/.test(tex.slice(at))) {
      // A list, "a,\; b" or "a,\quad b": it may break after the comma and its space.
      const space = nextToken(tex, at);
      at += space.length;
      run += token + space;
      flush();
      out.push("\\allowbreak");
    } else {
      run += token;
    }
  }
  flush();
  return out.join(" ");
}
