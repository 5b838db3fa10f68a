// A Python traceback as the page shows it: each frame with its file and line, the code
// line under it, and the exception at the end. The frame that raised is the last one; the
// script's own frames (not the interpreter's or a library's) are the ones to look at.

export type TracebackRow =
  | {
      readonly kind: "frame";
      readonly text: string;
      readonly file: string;
      readonly line: number;
      readonly fn: string;
      /** In the learner's files, not in Python's or a library's. */
      readonly own: boolean;
      /** The last frame: where the exception was raised. */
      readonly raised: boolean;
    }
  | { readonly kind: "code"; readonly text: string; readonly raised: boolean }
  | { readonly kind: "text"; readonly text: string };

const FRAME = /^\s*File "(.+)", line (\d+), in (.+)$/;
const LIBRARY = /(site-packages|dist-packages|[\\/]lib[\\/]python\d|<frozen )/;

/** The rows of `traceback` (the text as Python prints it). */
export function parseTraceback(traceback: string): TracebackRow[] {
  const rows: TracebackRow[] = [];
  let lastFrame = -1;
  for (const text of traceback.replace(/\n+$/, "").split("\n")) {
    const match = FRAME.exec(text);
    if (match) {
      const [, file = "", line = "0", fn = ""] = match;
      lastFrame = rows.length;
      rows.push({
        kind: "frame",
        text,
        file,
        line: Number(line),
        fn,
        own: !LIBRARY.test(file),
        raised: false,
      });
    } else if (lastFrame >= 0 && /^\s{4,}/.test(text)) {
      rows.push({ kind: "code", text, raised: false });
    } else {
      rows.push({ kind: "text", text });
    }
  }
  // The last frame and the code lines under it are where the exception was raised.
  return rows.map((row, i) =>
    i >= lastFrame && lastFrame >= 0 && row.kind !== "text" ? { ...row, raised: true } : row,
  );
}

/** The exception line(s): what comes after the last frame's code. */
export function exceptionOf(rows: readonly TracebackRow[]): string {
  const tail: string[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i];
    if (!row || row.kind !== "text") break;
    tail.unshift(row.text);
  }
  return tail.join("\n").trim();
}
