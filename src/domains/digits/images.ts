/**
 * Images for reports and the web pages: a minimal PNG encoder (8-bit grayscale, zlib from node:zlib) and image grids.
 * PNG (RFC 2083): signature, IHDR, IDAT (zlib of rows each prefixed by filter byte 0), IEND; every chunk is
 * [length u32 BE][type][data][CRC-32 of type+data].
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses). */
export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes a grayscale image (values in [0, 1], row-major [height · width]) as PNG bytes. */
export function encodePngGray(pixels: ArrayLike<number>, width: number, height: number): Buffer {
  if (pixels.length !== width * height) throw new RangeError(`encodePngGray: ${pixels.length} pixels for ${width}×${height}`);
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = Math.round(255 * Math.min(1, Math.max(0, pixels[y * width + x]!)));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: grayscale
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Tiles n images (each rows×cols, concatenated in `images`) into a grid of `columns` columns with `pad` pixels of
 * background between them, upscaled by `scale`. Returns the grid's pixels and size.
 */
export function tileImages(
  images: Float32Array,
  n: number,
  rows: number,
  cols: number,
  opts: { columns: number; pad?: number; scale?: number; background?: number },
): { pixels: Float32Array; width: number; height: number } {
  const pad = opts.pad ?? 2;
  const scale = opts.scale ?? 1;
  const columns = Math.max(1, opts.columns);
  const gridRows = Math.ceil(n / columns);
  const cw = cols * scale + pad;
  const ch = rows * scale + pad;
  const width = columns * cw + pad;
  const height = gridRows * ch + pad;
  const pixels = new Float32Array(width * height).fill(opts.background ?? 0.5);
  for (let i = 0; i < n; i++) {
    const ox = pad + (i % columns) * cw;
    const oy = pad + Math.floor(i / columns) * ch;
    for (let y = 0; y < rows * scale; y++)
      for (let x = 0; x < cols * scale; x++) pixels[(oy + y) * width + ox + x] = images[i * rows * cols + Math.floor(y / scale) * cols + Math.floor(x / scale)]!;
  }
  return { pixels, width, height };
}

/** One PNG of a grid of images. */
export function gridPng(images: Float32Array, n: number, rows: number, cols: number, opts: { columns: number; pad?: number; scale?: number }): { png: Buffer; width: number; height: number } {
  const g = tileImages(images, n, rows, cols, opts);
  return { png: encodePngGray(g.pixels, g.width, g.height), width: g.width, height: g.height };
}

/** An SVG that shows a PNG (inline, base64) with optional row labels on the left: for HTML reports. */
export function pngAsSvg(png: Buffer, width: number, height: number, rowLabels: string[] = [], rowHeight = 0, labelWidth = 0): string {
  const w = width + labelWidth;
  const labels = rowLabels
    .map((l, i) => `<text x="${labelWidth - 6}" y="${(i + 0.5) * rowHeight + 4}" text-anchor="end" font-family="DejaVu Sans, sans-serif" font-size="12">${escapeXml(l)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${height}" viewBox="0 0 ${w} ${height}">${labels}<image x="${labelWidth}" y="0" width="${width}" height="${height}" href="data:image/png;base64,${png.toString('base64')}" style="image-rendering:pixelated"/></svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
