import { describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import { crc32, encodePngGray, tileImages } from './images.js';

/** Splits a PNG into its chunks, checking each CRC. */
function chunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  const out: Array<{ type: string; data: Buffer }> = [];
  let at = 8;
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    expect(png.readUInt32BE(at + 8 + len), `CRC of ${type}`).toBe(crc32(png.subarray(at + 4, at + 8 + len)));
    out.push({ type, data });
    at += 12 + len;
  }
  return out;
}

describe('PNG encoder', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('writes a valid 8-bit grayscale PNG whose pixels inflate back', () => {
    const w = 3;
    const h = 2;
    const png = encodePngGray([0, 0.5, 1, 1, 0.25, -3], w, h);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const cs = chunks(png);
    expect(cs.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = cs[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([3, 2, 8, 0]);
    const raw = inflateSync(cs[1]!.data);
    expect(Array.from(raw)).toEqual([0, 0, 128, 255, 0, 255, 64, 0]); // filter byte 0 per row; values clamped to [0, 1]
    expect(() => encodePngGray([1, 2], 3, 1)).toThrow(/2 pixels for 3×1/);
  });

  it('tiles images into a padded, upscaled grid', () => {
    const imgs = Float32Array.from([1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5]); // two 2×2 images
    const g = tileImages(imgs, 2, 2, 2, { columns: 2, pad: 1, scale: 2, background: 0.25 });
    expect([g.width, g.height]).toEqual([2 * (4 + 1) + 1, 4 + 1 + 1]);
    expect(g.pixels[0]).toBe(0.25); // padding
    expect(g.pixels[1 * g.width + 1]).toBe(1); // first image, top-left pixel, upscaled ×2
    expect(g.pixels[1 * g.width + 2]).toBe(1);
    expect(g.pixels[1 * g.width + 3]).toBe(0);
    expect(g.pixels[1 * g.width + 6]).toBe(0.5); // second image starts at x = 1 + 5
  });
});
