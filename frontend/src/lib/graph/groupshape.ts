// Groups of one shape share one layout (pure): a group's inside renamed by each node's
// place among its units, keyed by what decides dagre's answer, and the shared layout
// renamed back to one group's own nodes. A transformer's blocks (and their attentions) are
// one shape each: dagre, the costly part, runs once for all of them.
import { GROUP_PREFIX } from "./groups";
import type { GraphLayout } from "./layout";
import type { GraphEvent } from "../wire/protocol";

const canonicalId = (i: number) => `n${String(i).padStart(6, "0")}`;

/**
 * A group's inside with each node renamed by its place among the group's members, and a key
 * equal for groups of the same shape: the same ops in the same order, parameters' names of
 * the same length (a leaf's box is as wide as its name), the same edges and named tensors.
 */
export function groupShape(
  sub: GraphEvent,
  ids: readonly string[],
): { graph: GraphEvent; key: string } {
  const place = new Map(ids.map((id, i) => [id, i]));
  const byId = new Map(sub.nodes.map((n) => [n.id, n]));
  const nodes = ids.map((id, i) => {
    const n = byId.get(id);
    const param = n?.param ? "p".repeat(n.param.length) : null;
    return { id: canonicalId(i), op: n?.op ?? "", param, module: null, saved: [] };
  });
  const edges = sub.edges.map((e) => ({
    source: canonicalId(place.get(e.source) ?? -1),
    target: canonicalId(place.get(e.target) ?? -1),
    slot: e.slot,
  }));
  const tensors = Object.fromEntries(
    Object.entries(sub.tensors).map(([name, id]) => [name, canonicalId(place.get(id) ?? -1)]),
  );
  const key = JSON.stringify([
    nodes.map((n, i) => [n.op, n.param?.length ?? -1, ids[i]?.startsWith(GROUP_PREFIX) ?? false]),
    edges.map((e) => [e.source, e.target, e.slot]),
    tensors,
  ]);
  return { graph: { ...sub, nodes, edges, tensors, root: "" }, key };
}

/** A layout of groupShape's renamed graph, with the group's own ids, names and modules. */
export function renameLayout(
  laid: GraphLayout,
  shape: GraphEvent,
  graph: GraphEvent,
  ids: readonly string[],
): GraphLayout {
  const place = new Map(shape.nodes.map((n, i) => [n.id, i]));
  const real = new Map(graph.nodes.map((n) => [n.id, n]));
  const idOf = (canonical: string) => ids[place.get(canonical) ?? -1] ?? canonical;
  const nodes = laid.nodes.map((n) => {
    const r = real.get(idOf(n.id));
    const param = r?.param ?? null;
    return {
      ...n,
      id: idOf(n.id),
      param,
      module: r?.module ?? null,
      sub: n.kind === "leaf" ? param : n.sub,
    };
  });
  const edges = laid.edges.map((e) => {
    const source = idOf(e.source);
    return { ...e, id: `${source}#${e.slot}`, source, target: idOf(e.target) };
  });
  const modules = [...new Set(nodes.map((n) => n.module).filter((m): m is string => !!m))];
  return { ...laid, key: `${laid.key}|${ids[0] ?? ""}`, nodes, edges, modules: modules.sort() };
}
