import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { encodeIdxImages, encodeIdxLabels, loadIdxDir, loadIdxSplit, parseIdxImages, parseIdxLabels, seededSplit } from './data.js';
import { synthImages, writeSynthIdxDir } from './testing.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rlhf-digits-'));

describe('IDX parsing', () => {
  it('reads gzipped and raw files to the same pixels and labels', () => {
    const gz = loadIdxDir(writeSynthIdxDir(join(tmp(), 'gz'), 30, 20, true));
    const raw = loadIdxDir(writeSynthIdxDir(join(tmp(), 'raw'), 30, 20, false));
    expect(gz.train.n).toBe(30);
    expect(gz.test.n).toBe(20);
    expect([gz.train.rows, gz.train.cols, gz.train.dim]).toEqual([28, 28, 784]);
    expect(Array.from(raw.train.labels)).toEqual(Array.from(gz.train.labels));
    expect(raw.train.images).toEqual(gz.train.images);
    // pixel scaling: u8 / 255
    const { pixels } = synthImages(30, 1);
    expect(gz.train.images[100]).toBeCloseTo(pixels[100]! / 255, 6);
    expect(Math.max(...gz.train.images)).toBeLessThanOrEqual(1);
  });

  it('rejects a wrong magic number, naming the file and what was expected', () => {
    const buf = encodeIdxImages(new Uint8Array(784), 1, 28, 28);
    buf.writeUInt32BE(0x00000801, 0); // a labels magic in an images file
    expect(() => parseIdxImages(buf, 'x-images-idx3-ubyte')).toThrow(DataError);
    expect(() => parseIdxImages(buf, 'x-images-idx3-ubyte')).toThrow(/x-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803.*apt-get install dataset-fashion-mnist/);
    const lab = encodeIdxLabels(new Uint8Array([1, 2]));
    lab.writeUInt32BE(0x12345678, 0);
    expect(() => parseIdxLabels(lab, 'l')).toThrow(/wrong magic number 0x12345678, expected 0x00000801/);
  });

  it('rejects truncated files (raw and gzip) with the sizes', () => {
    const img = encodeIdxImages(new Uint8Array(3 * 784), 3, 28, 28);
    expect(() => parseIdxImages(img.subarray(0, 16 + 2 * 784), 'imgs')).toThrow(/imgs: IDX image file is truncated: 1584 bytes, expected 2368 for 3 images of 28×28/);
    expect(() => parseIdxImages(img.subarray(0, 10), 'imgs')).toThrow(/truncated.*16-byte header/);
    const gz = gzipSync(img);
    expect(() => parseIdxImages(gz.subarray(0, gz.length - 20), 'imgs.gz')).toThrow(/imgs.gz: gzip data is corrupt or truncated/);
    const lab = encodeIdxLabels(new Uint8Array([1, 2, 3]));
    expect(() => parseIdxLabels(lab.subarray(0, 9), 'labs')).toThrow(/labs: IDX label file is truncated: 9 bytes, expected 11 for 3 labels/);
  });

  it('rejects labels outside 0..9 and count mismatches', () => {
    expect(() => parseIdxLabels(encodeIdxLabels(new Uint8Array([3, 12])), 'labs')).toThrow(/label 12 at index 1/);
    const dir = writeSynthIdxDir(join(tmp(), 'mm'), 20, 10, false);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdxLabels(new Uint8Array(19)));
    expect(() => loadIdxSplit(dir, 'train')).toThrow(/has 19 labels but .* has 20 images/);
  });

  it('names the missing file and the package to install', () => {
    const dir = tmp();
    expect(() => loadIdxDir(dir)).toThrow(DataError);
    expect(() => loadIdxDir(dir)).toThrow(/missing .*train-images-idx3-ubyte\.gz .*apt-get install dataset-fashion-mnist/);
    expect(() => loadIdxDir(join(dir, 'nope'))).toThrow(/does not exist/);
  });
});

describe('seededSplit', () => {
  it('draws disjoint parts, the same for the same seed', () => {
    const dir = writeSynthIdxDir(join(tmp(), 's'), 50, 10, false);
    const { train } = loadIdxDir(dir);
    const a = seededSplit(train, [20, 10], new Rng(7));
    const b = seededSplit(train, [20, 10], new Rng(7));
    const c = seededSplit(train, [20, 10], new Rng(8));
    expect(a.indices).toEqual(b.indices);
    expect(a.indices).not.toEqual(c.indices);
    expect(a.parts.map((p) => p.n)).toEqual([20, 10]);
    expect(a.rest.n).toBe(20);
    const all = a.indices.flat();
    expect(new Set(all).size).toBe(50);
    // rows are copied with their labels
    const j = a.indices[0]![3]!;
    expect(a.parts[0]!.labels[3]).toBe(train.labels[j]);
    expect(Array.from(a.parts[0]!.images.subarray(3 * 784, 4 * 784))).toEqual(Array.from(train.images.subarray(j * 784, (j + 1) * 784)));
    expect(() => seededSplit(train, [40, 20], new Rng(1))).toThrow(/cannot draw 40 \+ 20 = 60 images from a set of 50/);
  });

  it('the synthetic fixture is a real IDX file', () => {
    const dir = writeSynthIdxDir(join(tmp(), 'f'), 10, 10, false);
    const buf = readFileSync(join(dir, 'train-images-idx3-ubyte'));
    expect(buf.readUInt32BE(0)).toBe(0x803);
    expect(buf.length).toBe(16 + 10 * 784);
  });
});
