// A heatmap as an image (a BMP in a data: URL) instead of a canvas. Chromium gives every
// canvas its own composited layer, and re-layering the page's few dozen tensor canvases cost
// most of each frame of a transformer's backward animation (Layerize); an <img> is painted
// with the rest of its panel. BMP because it needs no compression: one row of pixels after
// another, bottom row first.

/** Bytes of a 24-bit BMP's headers: the file header (14) and BITMAPINFOHEADER (40). */
const HEADER = 54;

/**
 * A `cols`×`rows` BMP of `rgba` (4 bytes a pixel, row by row from the top, as ImageData),
 * its alpha dropped: one pixel per cell, to be scaled up with `image-rendering: pixelated`.
 */
export function heatBitmap(rgba: Uint8ClampedArray, cols: number, rows: number): Uint8Array {
  const stride = Math.ceil((cols * 3) / 4) * 4; // each row padded to 4 bytes
  const size = HEADER + stride * rows;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42; // "BM"
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, HEADER, true); // where the pixels start
  view.setUint32(14, 40, true); // BITMAPINFOHEADER
  view.setInt32(18, cols, true);
  view.setInt32(22, rows, true); // positive: bottom row first
  view.setUint16(26, 1, true); // one plane
  view.setUint16(28, 24, true); // bits per pixel, BI_RGB (0) at 30
  view.setUint32(34, stride * rows, true);
  for (let r = 0; r < rows; r++) {
    let k = HEADER + (rows - 1 - r) * stride;
    for (let c = 0; c < cols; c++) {
      const i = (r * cols + c) * 4;
      out[k++] = rgba[i + 2] ?? 0; // B, G, R
      out[k++] = rgba[i + 1] ?? 0;
      out[k++] = rgba[i] ?? 0;
    }
  }
  return out;
}

/** `bytes` as a base64 data: URL of type `mime`. */
export function dataUrl(bytes: Uint8Array, mime: string): string {
  let text = "";
  const chunk = 0x8000; // String.fromCharCode takes a bounded number of arguments
  for (let i = 0; i < bytes.length; i += chunk) {
    text += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return `data:${mime};base64,${btoa(text)}`;
}

/** The heatmap image of `rgba` (see heatBitmap) as a data: URL for an <img>. */
export function heatImageUrl(rgba: Uint8ClampedArray, cols: number, rows: number): string {
  return dataUrl(heatBitmap(rgba, cols, rows), "image/bmp");
}
