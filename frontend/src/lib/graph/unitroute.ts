// Routes between the units of a composed layout (pure): out of one box's side facing the
// other, into the other's; round the units and frames in the way when the straight way
// would cross them (a residual connection skipping a block's attention).
import type { LayoutNode, Point } from "./layout";

/** How far a detour keeps from the units it goes round. */
export const DETOUR_GAP = 8;
/** Where a detour turns: half the smallest gap between ranks (grouplayout's RANK_GAP). */
const TURN = 16;

/** A node's extent along the rank axis (main) and across it (cross). */
export interface Extent {
  main0: number;
  main1: number;
  cross0: number;
  cross1: number;
}

export const extentOf = (n: LayoutNode, bt: boolean): Extent =>
  bt
    ? {
        main0: n.y - n.height / 2,
        main1: n.y + n.height / 2,
        cross0: n.x - n.width / 2,
        cross1: n.x + n.width / 2,
      }
    : {
        main0: n.x - n.width / 2,
        main1: n.x + n.width / 2,
        cross0: n.y - n.height / 2,
        cross1: n.y + n.height / 2,
      };

/**
 * A route between two units: out of the source's side facing the target, into the
 * target's. When the straight way would run through other units (a residual connection
 * skipping a block's attention), it goes round them instead, in a lane beside the ones in
 * the way. `others` are the seen nodes, by rank position.
 */
export function route(
  s: LayoutNode,
  t: LayoutNode,
  bt: boolean,
  others: readonly Extent[],
): Point[] {
  const se = extentOf(s, bt);
  const te = extentOf(t, bt);
  const down = te.main0 > se.main0 ? 1 : -1;
  const sc = (se.cross0 + se.cross1) / 2;
  const tc = (te.cross0 + te.cross1) / 2;
  const a = down > 0 ? se.main1 : se.main0;
  const b = down > 0 ? te.main0 : te.main1;
  const lo = Math.min(a, b) + 0.5;
  const hi = Math.max(a, b) - 0.5;
  const mid = (a + b) / 2;
  // Units strictly between the two along the rank axis, and whether a line across at `c`
  // from `m0` to `m1` meets one of them.
  const between = others.filter((o) => o.main1 > lo && o.main0 < hi);
  const hits = (c: number, m0: number, m1: number) =>
    between.some(
      (o) =>
        o.cross0 < c && c < o.cross1 && o.main1 > Math.min(m0, m1) && o.main0 < Math.max(m0, m1),
    );
  const crosses = between.some(
    (o) =>
      o.main0 < mid && mid < o.main1 && o.cross1 > Math.min(sc, tc) && o.cross0 < Math.max(sc, tc),
  );
  const at = (main: number, cross: number): Point =>
    bt ? { x: cross, y: main } : { x: main, y: cross };
  if (!hits(sc, a, mid) && !hits(tc, mid, b) && !crosses) {
    return [at(a, sc), at(mid, sc), at(mid, tc), at(b, tc)];
  }
  // The first lane past the far side of everything in the way, away from the graph's start.
  let lane = Math.max(sc, tc);
  for (let moved = true; moved;) {
    moved = false;
    for (const o of between) {
      if (o.cross0 - DETOUR_GAP < lane && lane < o.cross1 + DETOUR_GAP) {
        lane = o.cross1 + DETOUR_GAP;
        moved = true;
      }
    }
  }
  const near = a + down * TURN;
  const far = b - down * TURN;
  const detour = [at(a, sc), at(near, sc), at(near, lane), at(far, lane), at(far, tc), at(b, tc)];
  return tightCorners(detour, DETOUR_GAP);
}

/**
 * The polyline with a point `r` before and after each corner: the curve drawn through the
 * points (edgePath, Catmull-Rom) then turns there instead of swinging wide of a long side.
 */
function tightCorners(points: readonly Point[], r: number): Point[] {
  const toward = (p: Point, q: Point): Point => {
    const d = Math.hypot(q.x - p.x, q.y - p.y);
    const f = d === 0 ? 0 : Math.min(r, d / 2) / d;
    return { x: p.x + (q.x - p.x) * f, y: p.y + (q.y - p.y) * f };
  };
  const out: Point[] = [];
  points.forEach((p, i) => {
    const before = points[i - 1];
    const after = points[i + 1];
    if (!before || !after) return void out.push(p);
    out.push(toward(p, before), p, toward(p, after));
  });
  return out;
}
