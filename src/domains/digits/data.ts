/**
 * MNIST-format (IDX) data for the digits domain.
 *
 * IDX (http://yann.lecun.com/exdb/mnist/ "FILE FORMATS"): big-endian
 *   images: [magic 0x00000803][n u32][rows u32][cols u32][n·rows·cols u8 pixels]
 *   labels: [magic 0x00000801][n u32][n u8 labels]
 * Files may be gzipped (`.gz`) or raw. The default directory is Debian's `dataset-fashion-mnist` package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';

export const DEFAULT_DATA_DIR = '/usr/share/datasets/fashion-mnist';
export const NUM_CLASSES = 10;
const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;
const INSTALL_HINT = 'install Debian\'s package with `apt-get install dataset-fashion-mnist`, or pass --data DIR with MNIST-format files';

/** A set of images with labels: pixels scaled to [0, 1], row-major. */
export interface Dataset {
  /** [n · dim] pixels in [0, 1] */
  images: Float32Array;
  /** [n] class indices 0..9 */
  labels: Uint8Array;
  n: number;
  rows: number;
  cols: number;
  /** rows · cols */
  dim: number;
}

/** Fashion-MNIST class names (used when the data directory is Fashion-MNIST); plain digits otherwise. */
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

function maybeGunzip(buf: Buffer, file: string): Buffer {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw new DataError(`${file}: gzip data is corrupt or truncated (${(e as Error).message}); ${INSTALL_HINT}`, { cause: e });
    }
  }
  return buf;
}

/** Parses an IDX image file (already read); `file` names it in errors. */
export function parseIdxImages(raw: Buffer, file: string): { images: Float32Array; n: number; rows: number; cols: number } {
  const buf = maybeGunzip(raw, file);
  if (buf.length < 16) throw new DataError(`${file}: IDX image file is truncated: ${buf.length} bytes, expected a 16-byte header; ${INSTALL_HINT}`);
  const magic = buf.readUInt32BE(0);
  if (magic !== IMAGES_MAGIC)
    throw new DataError(`${file}: wrong magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000803 (IDX unsigned-byte images with 3 dimensions); ${INSTALL_HINT}`);
  const n = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  const need = 16 + n * rows * cols;
  if (buf.length < need)
    throw new DataError(`${file}: IDX image file is truncated: ${buf.length} bytes, expected ${need} for ${n} images of ${rows}×${cols}; ${INSTALL_HINT}`);
  const images = new Float32Array(n * rows * cols);
  for (let i = 0; i < images.length; i++) images[i] = buf[16 + i]! / 255; // ToTensor scaling to [0, 1]
  return { images, n, rows, cols };
}

/** Parses an IDX label file (already read); labels must be 0..9. */
export function parseIdxLabels(raw: Buffer, file: string): Uint8Array {
  const buf = maybeGunzip(raw, file);
  if (buf.length < 8) throw new DataError(`${file}: IDX label file is truncated: ${buf.length} bytes, expected an 8-byte header; ${INSTALL_HINT}`);
  const magic = buf.readUInt32BE(0);
  if (magic !== LABELS_MAGIC)
    throw new DataError(`${file}: wrong magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000801 (IDX unsigned-byte labels); ${INSTALL_HINT}`);
  const n = buf.readUInt32BE(4);
  if (buf.length < 8 + n) throw new DataError(`${file}: IDX label file is truncated: ${buf.length} bytes, expected ${8 + n} for ${n} labels; ${INSTALL_HINT}`);
  const labels = Uint8Array.from(buf.subarray(8, 8 + n));
  for (let i = 0; i < n; i++)
    if (labels[i]! >= NUM_CLASSES) throw new DataError(`${file}: label ${labels[i]} at index ${i} is not a class 0..${NUM_CLASSES - 1}`);
  return labels;
}

/** Finds `<prefix>-<kind>-idx?-ubyte[.gz]` (also the `.` spelling some mirrors use) in dir. */
export function findIdxFile(dir: string, prefix: 'train' | 't10k', kind: 'images' | 'labels'): string {
  const d = kind === 'images' ? 3 : 1;
  const candidates = [`${prefix}-${kind}-idx${d}-ubyte.gz`, `${prefix}-${kind}-idx${d}-ubyte`, `${prefix}-${kind}.idx${d}-ubyte.gz`, `${prefix}-${kind}.idx${d}-ubyte`];
  for (const c of candidates) {
    const p = join(dir, c);
    if (existsSync(p)) return p;
  }
  throw new DataError(`missing ${join(dir, candidates[0]!)} (or ${candidates[1]}): expected MNIST-format IDX ${kind} in ${dir}; ${INSTALL_HINT}`);
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new DataError(`cannot read ${path}: ${(e as Error).message}; ${INSTALL_HINT}`, { cause: e });
  }
}

/** Loads one split (`train` or `t10k`) from an MNIST-format directory. */
export function loadIdxSplit(dir: string, prefix: 'train' | 't10k'): Dataset {
  if (!existsSync(dir)) throw new DataError(`data directory ${dir} does not exist; ${INSTALL_HINT}`);
  const imgFile = findIdxFile(dir, prefix, 'images');
  const labFile = findIdxFile(dir, prefix, 'labels');
  const { images, n, rows, cols } = parseIdxImages(readFile(imgFile), imgFile);
  const labels = parseIdxLabels(readFile(labFile), labFile);
  if (labels.length !== n) throw new DataError(`${labFile} has ${labels.length} labels but ${imgFile} has ${n} images: expected the same count`);
  return { images, labels, n, rows, cols, dim: rows * cols };
}

/** Both splits of an MNIST-format directory. */
export function loadIdxDir(dir: string = DEFAULT_DATA_DIR): { train: Dataset; test: Dataset } {
  const train = loadIdxSplit(dir, 'train');
  const test = loadIdxSplit(dir, 't10k');
  if (train.dim !== test.dim) throw new DataError(`${dir}: train images are ${train.rows}×${train.cols} but t10k images are ${test.rows}×${test.cols}`);
  return { train, test };
}

/** The rows `idx` of a dataset, in that order. */
export function subsetOf(ds: Dataset, idx: ArrayLike<number>): Dataset {
  const n = idx.length;
  const images = new Float32Array(n * ds.dim);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = idx[i]!;
    if (!(j >= 0 && j < ds.n)) throw new RangeError(`subsetOf: index ${j} outside 0..${ds.n - 1}`);
    images.set(ds.images.subarray(j * ds.dim, (j + 1) * ds.dim), i * ds.dim);
    labels[i] = ds.labels[j]!;
  }
  return { images, labels, n, rows: ds.rows, cols: ds.cols, dim: ds.dim };
}

/**
 * A seeded split into disjoint parts of the given sizes (drawn without replacement); the rest is returned
 * last (`rest`), e.g. split(train, [15000]) → [train15k, pool45k].
 */
export function seededSplit(ds: Dataset, sizes: number[], rng: Rng): { parts: Dataset[]; rest: Dataset; indices: number[][] } {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > ds.n) throw new DataError(`cannot draw ${sizes.join(' + ')} = ${total} images from a set of ${ds.n}`);
  const perm = rng.shuffle(Array.from({ length: ds.n }, (_, i) => i));
  const indices: number[][] = [];
  let at = 0;
  for (const s of sizes) {
    indices.push(perm.slice(at, at + s));
    at += s;
  }
  const restIdx = perm.slice(at);
  return { parts: indices.map((ix) => subsetOf(ds, ix)), rest: subsetOf(ds, restIdx), indices: [...indices, restIdx] };
}

/** One-hot rows [n · 10] for labels. */
export function oneHot(labels: ArrayLike<number>, classes = NUM_CLASSES): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]!] = 1;
  return out;
}

/** Indices of every example of class c. */
export function indicesOfClass(ds: Dataset, c: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ds.n; i++) if (ds.labels[i] === c) out.push(i);
  return out;
}

/** Builds IDX file bytes (raw, not gzipped): for tests and for exporting. */
export function encodeIdxImages(pixels: Uint8Array, n: number, rows: number, cols: number): Buffer {
  const buf = Buffer.alloc(16 + n * rows * cols);
  buf.writeUInt32BE(IMAGES_MAGIC, 0);
  buf.writeUInt32BE(n, 4);
  buf.writeUInt32BE(rows, 8);
  buf.writeUInt32BE(cols, 12);
  Buffer.from(pixels.buffer, pixels.byteOffset, n * rows * cols).copy(buf, 16);
  return buf;
}

export function encodeIdxLabels(labels: Uint8Array): Buffer {
  const buf = Buffer.alloc(8 + labels.length);
  buf.writeUInt32BE(LABELS_MAGIC, 0);
  buf.writeUInt32BE(labels.length, 4);
  Buffer.from(labels.buffer, labels.byteOffset, labels.length).copy(buf, 8);
  return buf;
}
