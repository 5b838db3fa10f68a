// model(x) unfolded (pure): the nested Module.__call__s the forward capture recorded, and
// how assigning modules and Parameters as attributes registered them so that
// model.parameters() finds them.
import type { ForwardCapture, ModuleInfo, SessionEvent } from "../wire/protocol";

export interface CallNode {
  module: string; // path, "" for the root
  cls: string;
  depth: number;
  input: string | null; // keys into the capture's tensors
  output: string | null;
  /** 1-based positions in the trace of this call's forward pre-hooks and forward hooks. */
  pre: number;
  hook: number | null;
  children: CallNode[];
}

/**
 * The call tree, built from the trace in the order torch ran it: a pre_hook opens a call
 * (its forward has not started), the matching hook closes it (forward has returned).
 * The k-th pre_hook belongs to calls[k]: both were recorded as __call__ was entered.
 */
export function buildCallTree(capture: ForwardCapture | null | undefined): CallNode | null {
  if (!capture) return null;
  const roots: CallNode[] = [];
  const open: CallNode[] = [];
  let entered = 0;
  capture.trace.forEach((entry, index) => {
    if (entry.event === "pre_hook") {
      const call = capture.calls[entered++];
      const node: CallNode = {
        module: entry.module,
        cls: call?.cls ?? "Module",
        depth: call?.depth ?? open.length,
        input: call?.input ?? null,
        output: call?.output ?? null,
        pre: index + 1,
        hook: null,
        children: [],
      };
      (open.at(-1)?.children ?? roots).push(node);
      open.push(node);
    } else {
      // Close the innermost open call of this module (they nest, so it is the last one).
      for (let i = open.length - 1; i >= 0; i--) {
        const node = open[i] as CallNode;
        if (node.module === entry.module) {
          node.hook = index + 1;
          open.splice(i);
          break;
        }
      }
    }
  });
  return roots[0] ?? null;
}

/** The module's attribute name as Python code reaches it: "model", "model.linear", "model.layers[0]". */
export function modulePathText(path: string): string {
  if (!path) return "model";
  return (
    "model" +
    path
      .split(".")
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join("")
  );
}

export interface RegisteredModule {
  path: string;
  name: string;
  cls: string;
  depth: number;
  /** Keys of its own _parameters, in order, with the qualified names parameters() gives. */
  parameters: { local: string; name: string; shape: number[]; requiresGrad: boolean }[];
  /** Keys of its own _modules. */
  children: string[];
}

/** The model tree as the registries Module.__setattr__ filled: _parameters and _modules. */
export function registries(model: ModuleInfo): RegisteredModule[] {
  const out: RegisteredModule[] = [];
  const walk = (m: ModuleInfo, depth: number) => {
    out.push({
      path: m.path,
      name: m.name,
      cls: m.cls,
      depth,
      parameters: m.parameters.map((p) => ({
        local: p.local,
        name: p.name,
        shape: p.shape,
        requiresGrad: p.requires_grad,
      })),
      children: m.children.map((c) => c.name),
    });
    m.children.forEach((c) => walk(c, depth + 1));
  };
  walk(model, 0);
  return out;
}

/**
 * The order model.parameters() yields, derived the way torch walks: named_modules() in
 * pre-order (a module, then its children in _modules order), each module's own _parameters.
 */
export function walkParameters(model: ModuleInfo): string[] {
  return registries(model).flatMap((m) => m.parameters.map((p) => p.name));
}

/** True when our walk gives exactly the order the server read from model.parameters(). */
export function parametersOrderMatches(session: SessionEvent): boolean {
  const walked = walkParameters(session.model);
  return (
    walked.length === session.parameters.length &&
    walked.every((name, i) => name === session.parameters[i])
  );
}
