// Canvas sizing for crisp drawing at the screen's pixel ratio, without needless reallocation.

/** The parts of a canvas element the sizing touches (plain objects in tests). */
export interface SizedCanvas {
  width: number;
  height: number;
  style: { width: string; height: string };
}

/**
 * Give `canvas` a backing store of `width`×`height` CSS pixels at `ratio` device pixels each.
 * Assigning width or height clears the canvas and reallocates its memory even when the value
 * is the same, so nothing is assigned when the size is already right. Returns true when the
 * canvas was resized (and so cleared); otherwise the caller clears what it redraws.
 */
export function fitCanvas(
  canvas: SizedCanvas,
  width: number,
  height: number,
  ratio: number,
): boolean {
  const pixelWidth = Math.round(width * ratio);
  const pixelHeight = Math.round(height * ratio);
  const cssWidth = `${width}px`;
  const cssHeight = `${height}px`;
  let resized = false;
  if (canvas.width !== pixelWidth) {
    canvas.width = pixelWidth;
    resized = true;
  }
  if (canvas.height !== pixelHeight) {
    canvas.height = pixelHeight;
    resized = true;
  }
  if (canvas.style.width !== cssWidth) canvas.style.width = cssWidth;
  if (canvas.style.height !== cssHeight) canvas.style.height = cssHeight;
  return resized;
}

/**
 * Ready `canvas` to draw a `width`×`height` plot: sized at the screen's pixel ratio (see
 * fitCanvas), its context scaled to CSS pixels and cleared. Null where there is no 2-D context.
 */
export function plotContext(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  fitCanvas(canvas, width, height, ratio);
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}
