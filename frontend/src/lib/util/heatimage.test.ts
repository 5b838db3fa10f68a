import { describe, expect, it } from "vitest";
import { dataUrl, heatBitmap, heatImageUrl } from "./heatimage";

describe("heatBitmap", () => {
  // 3×2 pixels, row by row from the top, each a different colour (alpha ignored).
  const rgba = new Uint8ClampedArray([
    ...[255, 0, 0, 255],
    ...[0, 255, 0, 255],
    ...[0, 0, 255, 255],
    ...[10, 20, 30, 255],
    ...[40, 50, 60, 255],
    ...[70, 80, 90, 0],
  ]);
  const bmp = heatBitmap(rgba, 3, 2);
  const view = new DataView(bmp.buffer);

  it("writes a 24-bit BMP header of the image's size", () => {
    expect(String.fromCharCode(bmp[0] ?? 0, bmp[1] ?? 0)).toBe("BM");
    // Rows of 9 bytes padded to 12: 54 + 2 × 12.
    expect(bmp.length).toBe(78);
    expect(view.getUint32(2, true)).toBe(78);
    expect(view.getUint32(10, true)).toBe(54);
    expect(view.getInt32(18, true)).toBe(3);
    expect(view.getInt32(22, true)).toBe(2);
    expect(view.getUint16(28, true)).toBe(24);
    expect(view.getUint32(30, true)).toBe(0);
  });

  it("stores the bottom row first, each pixel as blue, green, red", () => {
    const row = (r: number) => [...bmp.subarray(54 + r * 12, 54 + r * 12 + 12)];
    expect(row(0)).toEqual([30, 20, 10, 60, 50, 40, 90, 80, 70, 0, 0, 0]);
    expect(row(1)).toEqual([0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0]);
  });

  it("comes as a data: URL whose bytes are the bitmap's", () => {
    const url = heatImageUrl(rgba, 3, 2);
    expect(url.startsWith("data:image/bmp;base64,")).toBe(true);
    const bytes = Uint8Array.from(atob(url.split(",")[1] ?? ""), (c) => c.charCodeAt(0));
    expect([...bytes]).toEqual([...bmp]);
  });

  it("encodes more bytes than one call of String.fromCharCode takes", () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const back = atob(dataUrl(big, "application/octet-stream").split(",")[1] ?? "");
    expect(back.length).toBe(big.length);
    expect(back.charCodeAt(99_999)).toBe(99_999 % 251);
  });
});
