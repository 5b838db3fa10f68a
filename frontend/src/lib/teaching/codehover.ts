// What a name in the code pane holds right now: the live values behind `model`, `loss`,
// `y_pred`, `optimizer`, … for the hover tooltip (pure).
import type { Line } from "../util/line";
import { modulePathText } from "./moduletrace";
import type {
  CaptureByPhase,
  GraphEvent,
  ModuleInfo,
  SessionEvent,
  StepCapture,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import { formatNumber, formatShape, formatTensor, scalarOf } from "../util/tensor";
import { shortest32, shownText } from "./texnum";

export interface HoverRow {
  /** Code-like label ("model.linear.weight", ".grad"); not translated. */
  label: string;
  value: string;
}

export interface Hover {
  /** The expression hovered, as code. */
  title: string;
  rows: HoverRow[];
  /** A translatable remark (what this is, or why it has no value yet). */
  note: Line | null;
}

export interface HoverContext {
  session: SessionEvent | null;
  graph: GraphEvent | null;
  params: Record<string, TensorValue>;
  grads: Record<string, TensorValue | null>;
  captures: Partial<CaptureByPhase>;
  loss: WireFloat | null;
  epoch: number;
  batch: number;
  nBatches: number;
  /** The latest step() capture (it may belong to the previous iteration). */
  lastStep: StepCapture | null;
}

const MAX_ROWS = 8;

function findModule(root: ModuleInfo, path: string): ModuleInfo | null {
  if (root.path === path) return root;
  for (const child of root.children) {
    const found = findModule(child, path);
    if (found) return found;
  }
  return null;
}

function allParameters(m: ModuleInfo): string[] {
  return [...m.parameters.map((p) => p.name), ...m.children.flatMap(allParameters)];
}

function paramRows(names: string[], ctx: HoverContext): HoverRow[] {
  const rows: HoverRow[] = [];
  for (const name of names) {
    const code =
      modulePathText(name.split(".").slice(0, -1).join(".")) + "." + name.split(".").at(-1);
    rows.push({ label: code, value: exactTensor(ctx.params[name]) });
    rows.push({ label: "  .grad", value: exactTensor(ctx.grads[name] ?? null) });
  }
  return rows.slice(0, MAX_ROWS);
}

/**
 * One number as every panel prints it (formatNumber), followed by torch's exact float32 when
 * those digits are rounded ("0.1447 = 0.1446575 in float32"); else a short summary.
 */
function exactTensor(t: TensorValue | null | undefined): string {
  const s = scalarOf(t);
  if (s === null) return formatTensor(t ?? null);
  const shown = formatNumber(s);
  const exact = shortest32(s);
  return shownText(s) === exact ? shown : `${shown} = ${exact.replace("-", "\u2212")} (float32)`;
}

const note = (key: Line["key"], params: Record<string, string> = {}): Line => ({ key, params });

function moduleHover(ctx: HoverContext, path: string, title: string): Hover | null {
  const m = ctx.session ? findModule(ctx.session.model, path) : null;
  if (!m) return null;
  const names = allParameters(m);
  return {
    title: `${title}: ${m.cls}`,
    rows: paramRows(names, ctx),
    note: note("teach.hover.module", { cls: m.cls, n: String(names.length) }),
  };
}

function tensorHover(title: string, t: TensorValue | null | undefined, key: Line["key"]): Hover {
  if (!t) return { title, rows: [], note: note("teach.hover.notYet") };
  return {
    title,
    rows: [
      { label: "shape", value: formatShape(t.shape) },
      { label: "values", value: formatTensor(t, 5) },
    ],
    note: note(key),
  };
}

/** The hover for a dotted name from the source (null when it holds nothing we show). */
export function describeSymbol(symbol: string, ctx: HoverContext): Hover | null {
  const s = ctx.session;
  if (!s) return null;
  const forward = ctx.captures.forward;
  const group = s.optimizer.param_groups[0];
  switch (symbol) {
    case "model":
    case s.model.cls:
      return moduleHover(ctx, "", "model");
    case "model.parameters":
      return {
        title: "model.parameters()",
        rows: s.parameters.slice(0, MAX_ROWS).map((name, i) => ({ label: `[${i}]`, value: name })),
        note: note("teach.hover.parameters", { n: String(s.parameters.length) }),
      };
    case "optimizer": {
      const rows: HoverRow[] = [{ label: "class", value: s.optimizer.cls }];
      for (const [k, v] of Object.entries(group?.hyper ?? {})) {
        if (["lr", "momentum", "betas", "eps", "weight_decay"].includes(k) && v !== null) {
          rows.push({ label: k, value: Array.isArray(v) ? `(${v.join(", ")})` : String(v) });
        }
      }
      rows.push({ label: "param_groups[0]['params']", value: (group?.params ?? []).join(", ") });
      return {
        title: "optimizer",
        rows: rows.slice(0, MAX_ROWS),
        note: note("teach.hover.optimizer"),
      };
    }
    case "optimizer.zero_grad":
      return {
        title: "optimizer.zero_grad()",
        rows: s.parameters
          .slice(0, MAX_ROWS)
          .map((n) => ({ label: `${n}.grad`, value: exactTensor(ctx.grads[n] ?? null) })),
        note: note("teach.hover.zeroGrad"),
      };
    case "optimizer.step": {
      const step = ctx.lastStep;
      if (!step) return { title: "optimizer.step()", rows: [], note: note("teach.hover.notYet") };
      return {
        title: "optimizer.step()",
        rows: step.updates.slice(0, MAX_ROWS).map((u) => ({
          label: u.name,
          value: `${formatTensor(u.before, 2)} → ${formatTensor(u.after, 2)}`,
        })),
        note: note("teach.hover.step"),
      };
    }
    case "criterion":
      return {
        title: `criterion: ${s.criterion.cls}`,
        rows: [{ label: "reduction", value: `'${s.criterion.reduction}'` }],
        note: note("teach.hover.criterion"),
      };
    case "loss":
      if (ctx.loss === null) return { title: "loss", rows: [], note: note("teach.hover.notYet") };
      return {
        title: "loss",
        rows: [
          { label: "value", value: formatNumber(ctx.loss) },
          { label: "grad_fn", value: ctx.graph?.root ?? "?" },
        ],
        note: note("teach.hover.loss"),
      };
    case "loss.backward":
      return {
        title: "loss.backward()",
        rows: s.parameters
          .slice(0, MAX_ROWS)
          .map((n) => ({ label: `${n}.grad`, value: exactTensor(ctx.grads[n] ?? null) })),
        note: note("teach.hover.backward"),
      };
    case "y_pred":
      return tensorHover("y_pred", forward?.tensors.y_pred, "teach.hover.yPred");
    case "x_batch":
    case "x":
      return tensorHover(symbol, forward?.tensors.x ?? s.data?.x, "teach.hover.x");
    case "y_batch":
    case "y":
      return tensorHover(symbol, ctx.captures.loss?.y ?? s.data?.y, "teach.hover.y");
    case "epoch":
      return {
        title: "epoch",
        rows: [
          { label: "epoch", value: String(ctx.epoch) },
          { label: "batch", value: `${ctx.batch + 1} / ${ctx.nBatches}` },
        ],
        note: null,
      };
    case "lr":
      return {
        title: "lr",
        rows: [{ label: "param_groups[0]['lr']", value: String(group?.hyper.lr ?? "?") }],
        note: note("teach.hover.lr"),
      };
    case "device":
      return { title: "device", rows: [{ label: "device", value: s.device }], note: null };
    default: {
      // self.linear, model.layers, …: a child module by its attribute name.
      const m = /^(?:self|model)\.(\w+)$/.exec(symbol);
      if (m?.[1]) return moduleHover(ctx, m[1], modulePathText(m[1]));
      return null;
    }
  }
}
