// A histogram's bars as one SVG path. Bars drawn as one <rect> each changed two attributes
// per bar whenever a summary changed (charlm: two histograms at every backward and step),
// and each rect was restyled and laid out again; one path is one attribute and one element.
import { scaleLinear } from "d3-scale";
import type { HistogramBar } from "./tensor";

/**
 * The bars in a box of `width` × `plotHeight` (px, y down): bin edges spread over the
 * width with 1 px between bars (at least 1 px wide), the fullest bin `plotHeight` tall
 * (counts below 1 are drawn against 1). Each bar is one closed rectangle `M x,y h w v h h -w Z`.
 */
export function histogramPath(bars: HistogramBar[], width: number, plotHeight: number): string {
  const first = bars[0];
  const last = bars.at(-1);
  if (!first || !last) return "";
  const x = scaleLinear().domain([first.x0, last.x1]).range([0, width]);
  const y = scaleLinear()
    .domain([0, Math.max(1, ...bars.map((b) => b.count))])
    .range([0, plotHeight]);
  return bars
    .map((b) => {
      const w = Math.max(1, x(b.x1) - x(b.x0) - 1);
      const h = y(b.count);
      return `M${x(b.x0)},${plotHeight - h}h${w}v${h}h${-w}Z`;
    })
    .join("");
}
