import { describe, expect, it } from "vitest";
import { dataUrl, heatBitmap, heatImageUrl } from "./heatimage";

describe("heatBitmap", () => {
  // 3×2 pixels, row by row from the top, each a different colour, the last transparent.
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

  it("writes a 32-bit BMP header of the image's size, with an alpha mask", () => {
    expect(String.fromCharCode(bmp[0] ?? 0, bmp[1] ?? 0)).toBe("BM");
    // 122 bytes of headers, then 2 rows of 3 pixels of 4 bytes.
    expect(bmp.length).toBe(146);
    expect(view.getUint32(2, true)).toBe(146);
    expect(view.getUint32(10, true)).toBe(122);
    expect(view.getUint32(14, true)).toBe(108);
    expect(view.getInt32(18, true)).toBe(3);
    expect(view.getInt32(22, true)).toBe(2);
    expect(view.getUint16(28, true)).toBe(32);
    expect(view.getUint32(30, true)).toBe(3);
    expect(view.getUint32(66, true)).toBe(0xff000000);
  });

  it("stores the bottom row first, each pixel as blue, green, red, alpha", () => {
    const row = (r: number) => [...bmp.subarray(122 + r * 12, 122 + r * 12 + 12)];
    expect(row(0)).toEqual([30, 20, 10, 255, 60, 50, 40, 255, 90, 80, 70, 0]);
    expect(row(1)).toEqual([0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255]);
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

  it("writes the same URL with the browser's own base64 and without it", () => {
    const big = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    // The same bytes with no native toBase64: the String.fromCharCode and btoa way.
    const bare = Object.assign(new Uint8Array(big), { toBase64: undefined });
    const plain = dataUrl(bare, "image/bmp");
    const back = Uint8Array.from(atob(plain.split(",")[1] ?? ""), (c) => c.charCodeAt(0));
    expect([...back]).toEqual([...big]);
    expect(dataUrl(big, "image/bmp")).toBe(plain);
  });
});
