/**
 * Test fixtures: a tiny synthetic MNIST-format directory (class c = a bright horizontal band at rows 2c+3..2c+5
 * plus a little noise), written as real IDX files so tests exercise the same loader as real data.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Rng } from '../../core/rng.js';
import { encodeIdxImages, encodeIdxLabels } from './data.js';

/** Pixels [n · 28 · 28] (u8) and labels for n synthetic images. */
export function synthImages(n: number, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const on = y >= 2 * c + 3 && y < 2 * c + 6 && x >= 4 && x < 24;
        pixels[i * 784 + y * 28 + x] = Math.max(0, Math.min(255, Math.round((on ? 220 : 10) + 20 * rng.normal())));
      }
  }
  return { pixels, labels };
}

/** Writes train (nTrain) and t10k (nTest) IDX files into dir; gzipped when gzip is true. */
export function writeSynthIdxDir(dir: string, nTrain = 300, nTest = 100, gzip = true): string {
  mkdirSync(dir, { recursive: true });
  for (const [prefix, n, seed] of [['train', nTrain, 1], ['t10k', nTest, 2]] as const) {
    const { pixels, labels } = synthImages(n, seed);
    const img = encodeIdxImages(pixels, n, 28, 28);
    const lab = encodeIdxLabels(labels);
    const ext = gzip ? '.gz' : '';
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${ext}`), gzip ? gzipSync(img) : img);
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), gzip ? gzipSync(lab) : lab);
  }
  return dir;
}
