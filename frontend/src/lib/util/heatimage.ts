// A heatmap as an image (a BMP in a data: URL) instead of a canvas. Chromium gives every
// canvas its own composited layer, and re-layering the page's few dozen tensor canvases cost
// most of each frame of a transformer's backward animation (Layerize); an <img> is painted
// with the rest of its panel. BMP because it needs no compression: the pixels one row after
// another, bottom row first.

/** Bytes of the headers: the file header (14) and BITMAPV4HEADER (108, for the alpha mask). */
const HEADER = 122;

/**
 * A `cols`×`rows` 32-bit BMP of `rgba` (4 bytes a pixel, row by row from the top, as
 * ImageData), alpha kept (a grid's cells past the tensor's last value stay transparent, as
 * they were on a canvas): one pixel per cell, to be scaled up with `image-rendering: pixelated`.
 */
export function heatBitmap(rgba: Uint8ClampedArray, cols: number, rows: number): Uint8Array {
  const stride = cols * 4;
  const size = HEADER + stride * rows;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42; // "BM"
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, HEADER, true); // where the pixels start
  view.setUint32(14, 108, true); // BITMAPV4HEADER
  view.setInt32(18, cols, true);
  view.setInt32(22, rows, true); // positive: bottom row first
  view.setUint16(26, 1, true); // one plane
  view.setUint16(28, 32, true); // bits per pixel
  view.setUint32(30, 3, true); // BI_BITFIELDS: the masks below
  view.setUint32(34, stride * rows, true);
  view.setUint32(54, 0x00ff0000, true); // red, green, blue, alpha masks
  view.setUint32(58, 0x0000ff00, true);
  view.setUint32(62, 0x000000ff, true);
  view.setUint32(66, 0xff000000, true);
  view.setUint32(70, 0x73524742, true); // "sRGB" colour space
  for (let r = 0; r < rows; r++) {
    let k = HEADER + (rows - 1 - r) * stride;
    for (let c = 0; c < cols; c++) {
      const i = (r * cols + c) * 4;
      out[k++] = rgba[i + 2] ?? 0; // B, G, R, A
      out[k++] = rgba[i + 1] ?? 0;
      out[k++] = rgba[i] ?? 0;
      out[k++] = rgba[i + 3] ?? 0;
    }
  }
  return out;
}

/** `bytes` as a base64 data: URL of type `mime`. */
export function dataUrl(bytes: Uint8Array, mime: string): string {
  // Native base64 where the browser has it (Chromium 140+): a byte string built with
  // String.fromCharCode and passed to btoa was ~0.5 ms of each mlp step and backward.
  const native = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  if (typeof native === "function") return `data:${mime};base64,${native.call(bytes)}`;
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
