// The objects panel's reference arrows: from an optimizer param_groups entry to the parameter
// box it refers to, as SVG paths in the coordinates of the panel's content box.

/** The part of a DOMRect the arrows need (so tests can pass plain objects). */
export interface Box {
  left: number;
  top: number;
  right: number;
  height: number;
}

export interface RefArrow {
  /** `group:index` of the param_groups entry. */
  key: string;
  /** The parameter's name. */
  param: string;
  d: string;
}

/**
 * The arrow from entry `from` to parameter box `to`, relative to `origin`: it leaves the
 * entry's right edge at mid-height and ends at the box's right edge near its top. The i-th
 * arrow bends a little further out than the one before (in a cycle of five), so arrows that
 * run side by side stay apart.
 */
export function refArrowPath(from: Box, to: Box, origin: Box, i: number): string {
  const ex = from.right - origin.left;
  const ey = from.top + from.height / 2 - origin.top;
  const px = to.right - origin.left + 2;
  const py = to.top + Math.min(14, to.height / 2) - origin.top;
  const bend = 18 + 5 * (i % 5);
  return `M ${ex} ${ey} C ${ex + bend} ${ey}, ${px + bend + 8} ${py}, ${px + 6} ${py}`;
}

/** Same arrows, same order: nothing to redraw. */
export function sameArrows(a: readonly RefArrow[], b: readonly RefArrow[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((arrow, i) => {
    const other = b[i];
    return (
      other !== undefined &&
      arrow.key === other.key &&
      arrow.param === other.param &&
      arrow.d === other.d
    );
  });
}
