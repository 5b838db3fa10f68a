// Python source lines → tokens for the code pane: colours, and the dotted name each
// identifier stands for ("optimizer.zero_grad"), so the pane can show its live value (pure).

export type TokenKind =
  "keyword" | "builtin" | "string" | "number" | "comment" | "name" | "op" | "space";

export interface Token {
  text: string;
  kind: TokenKind;
  /** For names: the dotted chain up to and including this name ("self.linear"). */
  symbol?: string;
}

const KEYWORDS = new Set([
  "and", "as", "class", "def", "else", "for", "from", "if", "import", "in", "is", "lambda",
  "not", "or", "pass", "return", "super", "while", "with", "None", "True", "False",
]); // prettier-ignore
const BUILTINS = new Set(["range", "len", "print", "enumerate", "zip", "list", "int", "float"]);

const PATTERN =
  /(#.*$)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(\d+(?:\.\d*)?(?:e[+-]?\d+)?)|([A-Za-z_]\w*)|(\s+)|(.)/gy;

/** Split one line of Python into tokens (enough for display: no multi-line strings). */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let chain: string[] = [];
  let dotted = false;
  PATTERN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PATTERN.exec(line)) !== null) {
    const [text, comment, str, num, name, space] = m;
    if (comment !== undefined) tokens.push({ text, kind: "comment" });
    else if (str !== undefined) tokens.push({ text, kind: "string" });
    else if (num !== undefined) tokens.push({ text, kind: "number" });
    else if (space !== undefined) tokens.push({ text, kind: "space" });
    else if (name !== undefined) {
      if (KEYWORDS.has(name)) {
        tokens.push({ text, kind: "keyword" });
        chain = [];
      } else {
        chain = dotted ? [...chain, name] : [name];
        tokens.push({
          text,
          kind: BUILTINS.has(name) ? "builtin" : "name",
          symbol: chain.join("."),
        });
      }
      dotted = false;
      continue;
    } else {
      tokens.push({ text, kind: "op" });
      dotted = text === ".";
      if (!dotted) chain = [];
      continue;
    }
    if (space === undefined) chain = [];
    dotted = false;
  }
  return tokens;
}

/** 1-based line of each `self.<name> = …` in the source: where a child module was assigned. */
export function assignmentLines(lines: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
  lines.forEach((line, i) => {
    const m = /^\s*self\.(\w+)\s*=/.exec(line);
    if (m?.[1] && !found.has(m[1])) found.set(m[1], i + 1);
  });
  return found;
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

/**
 * The `for` / `while` headers whose bodies hold line `lineNo` (1-based), outermost first:
 * the loop a phase runs in, read from indentation. Loops elsewhere in the script (in a
 * model's forward, in a sampling function, after training) do not hold it and are left out.
 */
export function enclosingLoops(lines: readonly string[], lineNo: number): string[] {
  const target = lines[lineNo - 1];
  if (target === undefined) return [];
  let indent = indentOf(target);
  const out: string[] = [];
  for (let i = lineNo - 2; i >= 0 && indent > 0; i--) {
    const line = lines[i] ?? "";
    const text = line.trim();
    if (!text || text.startsWith("#")) continue;
    const here = indentOf(line);
    if (here >= indent) continue;
    indent = here; // the header of the block the line is in (def, if, with, for ...)
    if (/^(async\s+)?(for|while)\b/.test(text)) out.unshift(line.trimEnd());
  }
  return out;
}
