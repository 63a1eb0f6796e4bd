/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors):
 *   [8-byte little-endian u64 N][N bytes of JSON header][raw little-endian tensor data]
 * header: { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, "__metadata__": {str: str} }
 * Offsets are relative to the start of the data section. Names are kept as given (Hugging Face names for GPT-2).
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { DataError } from './errors.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** One tensor as read: values widened to Float32Array (floats) or Int32Array (integers, I64 must fit in 32 bits). */
export interface NamedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(dtype: SafetensorsDtype, buf: Buffer, begin: number, end: number, count: number, name: string): Float32Array | Int32Array {
  const view = new DataView(buf.buffer, buf.byteOffset + begin, end - begin);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) throw new DataError(`safetensors: tensor "${name}" has an I64 value ${v} that does not fit in 32 bits`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'I16': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      return out;
    }
    case 'U8':
    case 'BOOL': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      return out;
    }
  }
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

/** Parses a safetensors buffer; `source` names the file in error messages. */
export function parseSafetensors(buf: Buffer, source = '<buffer>'): SafetensorsFile {
  if (buf.length < 8) throw new DataError(`${source}: not a safetensors file (${buf.length} bytes, need at least 8 for the header length)`);
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8 || n > 100_000_000) throw new DataError(`${source}: safetensors header length ${n} exceeds the file size ${buf.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new DataError(`${source}: safetensors header is not valid JSON`, { cause: e });
  }
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: string; shape?: unknown; data_offsets?: unknown };
    const dtype = info.dtype as SafetensorsDtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) throw new DataError(`${source}: tensor "${name}" has unsupported dtype ${String(info.dtype)}`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new DataError(`${source}: tensor "${name}" has a malformed shape ${JSON.stringify(info.shape)}`);
    const shape = info.shape as number[];
    const offs = info.data_offsets as [number, number] | undefined;
    if (!Array.isArray(offs) || offs.length !== 2) throw new DataError(`${source}: tensor "${name}" has no data_offsets`);
    const [begin, end] = offs;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype] || begin < 0 || end > dataLen)
      throw new DataError(`${source}: tensor "${name}" (${dtype} ${JSON.stringify(shape)}) has data_offsets [${begin}, ${end}] that do not match its size or the file (data section ${dataLen} bytes)`);
    tensors.set(name, { dtype, shape, data: decode(dtype, buf, dataStart + begin, dataStart + end, count, name) });
  }
  return { tensors, metadata };
}

/** Reads a .safetensors file. */
export function readSafetensors(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new DataError(`cannot read safetensors file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseSafetensors(buf, path);
}

/** A tensor to write: F32 from a Float32Array, I32 (or I64 when dtype says so) from an Int32Array. */
export interface TensorToWrite {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype?: 'F32' | 'I32' | 'I64';
}

/** true on little-endian machines (all that Node runs on in practice): typed arrays already hold the file's byte order */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Serializes tensors (sorted by name, 8-byte aligned header as the reference implementation does). */
export function serializeSafetensors(tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Buffer[] = [];
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new DataError(`safetensors: tensor "${name}" has shape ${JSON.stringify(t.shape)} (${count} values) but ${t.data.length} values`);
    const dtype = t.dtype ?? (t.data instanceof Float32Array ? 'F32' : 'I32');
    let bytes: Buffer;
    if (LITTLE_ENDIAN && ((dtype === 'F32' && t.data instanceof Float32Array) || (dtype === 'I32' && t.data instanceof Int32Array))) {
      bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength); // the array's own bytes (copied by concat below): ~100× a per-value write
    } else if (dtype === 'I64') {
      bytes = Buffer.alloc(count * 8);
      for (let i = 0; i < count; i++) bytes.writeBigInt64LE(BigInt(t.data[i]!), i * 8);
    } else {
      bytes = Buffer.alloc(count * 4);
      for (let i = 0; i < count; i++) {
        if (dtype === 'F32') bytes.writeFloatLE(t.data[i]!, i * 4);
        else bytes.writeInt32LE(t.data[i]!, i * 4);
      }
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    parts.push(bytes);
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json, 'utf8'), ...parts]);
}

/** Writes a .safetensors file atomically (temp file + rename), so a crash never leaves half a checkpoint. */
export function writeSafetensors(path: string, tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, serializeSafetensors(tensors, metadata));
  renameSync(tmp, path);
}
