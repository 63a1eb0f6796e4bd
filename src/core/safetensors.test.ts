import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors, writeSafetensors, readSafetensors } from './safetensors.js';

/** Builds a file by hand: header JSON + raw bytes. */
function handmade(header: object, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe('safetensors', () => {
  it('round-trips F32, I32 and I64 tensors with metadata', () => {
    const buf = serializeSafetensors(
      {
        w: { shape: [2, 3], data: Float32Array.from([1, -2.5, 3, 0, Number.NaN, 1e-8]) },
        idx: { shape: [3], data: Int32Array.from([-1, 0, 2147483647]) },
        big: { shape: [2], data: Int32Array.from([5, -7]), dtype: 'I64' },
        empty: { shape: [0], data: new Float32Array(0) },
      },
      { format: 'pt' },
    );
    expect(Number(buf.readBigUInt64LE(0)) % 8).toBe(0); // header padded to 8 bytes
    const f = parseSafetensors(buf);
    expect(f.metadata).toEqual({ format: 'pt' });
    const w = f.tensors.get('w')!;
    expect(w.dtype).toBe('F32');
    expect(w.shape).toEqual([2, 3]);
    expect(Array.from(w.data.subarray(0, 4))).toEqual([1, -2.5, 3, 0]);
    expect(Number.isNaN(w.data[4]!)).toBe(true);
    expect(w.data[5]).toBeCloseTo(1e-8, 12);
    expect(Array.from(f.tensors.get('idx')!.data)).toEqual([-1, 0, 2147483647]);
    expect(f.tensors.get('big')!.dtype).toBe('I64');
    expect(Array.from(f.tensors.get('big')!.data)).toEqual([5, -7]);
    expect(f.tensors.get('empty')!.data.length).toBe(0);
  });

  it('names are sorted and offsets contiguous, as the reference writer does', () => {
    const buf = serializeSafetensors({ b: { shape: [1], data: Float32Array.of(2) }, a: { shape: [2], data: Float32Array.of(0, 1) } });
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: number[] }>;
    expect(Object.keys(header)).toEqual(['a', 'b']);
    expect(header.a!.data_offsets).toEqual([0, 8]);
    expect(header.b!.data_offsets).toEqual([8, 12]);
  });

  it('decodes F16, BF16, F64, I16, I8, U8 and BOOL', () => {
    const data = Buffer.alloc(2 * 3 + 2 * 2 + 8 + 2 + 1 + 1 + 1);
    let o = 0;
    for (const h of [0x3c00, 0xc000, 0x0001]) (data.writeUInt16LE(h, o), (o += 2)); // 1, −2, smallest subnormal
    for (const h of [0x3f80, 0xbf00]) (data.writeUInt16LE(h, o), (o += 2)); // bf16 1, −0.5
    data.writeDoubleLE(0.125, o);
    o += 8;
    data.writeInt16LE(-300, o);
    o += 2;
    data.writeInt8(-5, o++);
    data.writeUInt8(200, o++);
    data.writeUInt8(1, o++);
    const f = parseSafetensors(
      handmade(
        {
          h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
          bf: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
          d: { dtype: 'F64', shape: [1], data_offsets: [10, 18] },
          s: { dtype: 'I16', shape: [1], data_offsets: [18, 20] },
          i8: { dtype: 'I8', shape: [1], data_offsets: [20, 21] },
          u8: { dtype: 'U8', shape: [1], data_offsets: [21, 22] },
          b: { dtype: 'BOOL', shape: [1], data_offsets: [22, 23] },
        },
        data,
      ),
    );
    expect(Array.from(f.tensors.get('h')!.data)).toEqual([1, -2, 2 ** -24]);
    expect(Array.from(f.tensors.get('bf')!.data)).toEqual([1, -0.5]);
    expect(f.tensors.get('d')!.data[0]).toBe(0.125);
    expect(f.tensors.get('s')!.data[0]).toBe(-300);
    expect(f.tensors.get('i8')!.data[0]).toBe(-5);
    expect(f.tensors.get('u8')!.data[0]).toBe(200);
    expect(f.tensors.get('b')!.data[0]).toBe(1);
  });

  it('rejects malformed files with a DataError naming the problem', () => {
    expect(() => parseSafetensors(Buffer.alloc(4), 'x.safetensors')).toThrow(/x.safetensors: not a safetensors file/);
    const bad = Buffer.alloc(16);
    bad.writeBigUInt64LE(1000n);
    expect(() => parseSafetensors(bad)).toThrow(/exceeds the file size/);
    expect(() => parseSafetensors(handmade({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(8)))).toThrow(/do not match/);
    expect(() => parseSafetensors(handmade({ t: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)))).toThrow(/unsupported dtype/);
    expect(() => parseSafetensors(handmade({ t: { dtype: 'constructor', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)))).toThrow(/unsupported dtype/);
    expect(() => parseSafetensors(handmade({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, Buffer.alloc(4)))).toThrow(/malformed shape/);
    const i64 = Buffer.alloc(8);
    i64.writeBigInt64LE(2n ** 40n);
    expect(() => parseSafetensors(handmade({ t: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, i64))).toThrow(/does not fit in 32 bits/);
    expect(() => serializeSafetensors({ t: { shape: [3], data: new Float32Array(2) } })).toThrow(/3 values\) but 2 values/);
  });

  it('writes atomically (no temp file left) and reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-st-'));
    try {
      const p = join(dir, 'm.safetensors');
      writeSafetensors(p, { x: { shape: [2], data: Float32Array.of(1.5, 2.5) } });
      expect(readdirSync(dir)).toEqual(['m.safetensors']);
      expect(Array.from(readSafetensors(p).tensors.get('x')!.data)).toEqual([1.5, 2.5]);
      expect(readFileSync(p).length).toBeGreaterThan(8);
      expect(() => readSafetensors(join(dir, 'missing.safetensors'))).toThrow(/cannot read safetensors file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
