/**
 * Image samples (the digits domain): a small grayscale image, optionally with the model's predicted class.
 * Payload: { image: base64 PNG (with or without the data: prefix) } or { pixels: number[] (row-major) | number[][],
 * width?, height? } with values in 0..1 or 0..255, plus optional { prediction, label, classes: string[] }.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { Sample } from '../api.js';
import type { DigitsClassificationPayload, DigitsGenerationPayload } from '../../../src/domains/digits/payload.js';
import { BadPayload, type RendererProps, type SampleRenderer } from './contract.js';

/**
 * What this renderer draws: an image, as a PNG or as pixels, with optional class information. The digits domain's
 * query payloads (src/domains/digits/payload.ts: a generated image to rate, a pool image with the classifier's
 * prediction to correct) are such images: `Drawable` below fails to compile if they drift.
 */
export interface ImagePayload {
  image?: string;
  pixels?: number[] | number[][];
  width?: number;
  height?: number;
  /** the model's predicted class (index into classes, or a name) */
  prediction?: number | string;
  /** the class the sample was generated for, if any */
  label?: number | string;
  /** class names, index = label (e.g. Fashion-MNIST's "T-shirt/top", ...) */
  classes?: string[];
}

/** Compile-time check that the digits domain's payloads are drawn by this renderer (web tsc). */
type Drawable<T extends ImagePayload> = T;
type DigitsQueryPayloads = Drawable<DigitsGenerationPayload> | Drawable<DigitsClassificationPayload>;

export function looksLikeImage(p: unknown): p is ImagePayload {
  if (typeof p !== 'object' || p === null) return false;
  const q = p as ImagePayload;
  return typeof q.image === 'string' || Array.isArray(q.pixels);
}

/** Flattens pixels to row-major values in 0..1 with the image's width/height, or explains why it cannot. */
export function decodePixels(p: ImagePayload): { width: number; height: number; values: Float32Array } | string {
  const rows = p.pixels;
  if (!rows) return 'it has no pixels';
  const flat: number[] = Array.isArray(rows[0]) ? (rows as number[][]).flat() : (rows as number[]);
  const height = p.height ?? (Array.isArray(rows[0]) ? rows.length : Math.round(Math.sqrt(flat.length)));
  const width = p.width ?? (Array.isArray(rows[0]) ? (rows[0] as number[]).length : Math.round(flat.length / height));
  if (!(width > 0 && height > 0) || width * height !== flat.length) return `${flat.length} pixels do not fill a ${width}×${height} image`;
  let max = 0;
  for (const v of flat) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'a pixel is not a finite number';
    if (v > max) max = v;
  }
  const scale = max > 1 ? 1 / 255 : 1;
  return { width, height, values: Float32Array.from(flat, (v) => Math.min(1, Math.max(0, v * scale))) };
}

function PixelCanvas({ width, height, values, label }: { width: number; height: number; values: Float32Array; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(width, height);
    for (let i = 0; i < values.length; i++) {
      const g = Math.round((1 - values[i]!) * 255); // ink is dark on a light background
      img.data[4 * i] = g;
      img.data[4 * i + 1] = g;
      img.data[4 * i + 2] = g;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [width, height, values]);
  return <canvas ref={ref} width={width} height={height} class="pixels" role="img" aria-label={label} />;
}

function className(p: ImagePayload, v: number | string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && p.classes?.[v] !== undefined) return `${v} · ${p.classes[v]}`;
  return String(v);
}

function ImageView({ sample, label, size }: RendererProps) {
  const p = sample.payload;
  if (!looksLikeImage(p)) return <BadPayload sample={sample} why="it has neither `image` (base64 PNG) nor `pixels`" />;
  let body;
  if (typeof p.image === 'string') {
    const src = p.image.startsWith('data:') ? p.image : `data:image/png;base64,${p.image}`;
    body = <img class="pixels" src={src} alt={label} />;
  } else {
    const d = decodePixels(p);
    if (typeof d === 'string') return <BadPayload sample={sample} why={d} />;
    body = <PixelCanvas {...d} label={label} />;
  }
  const cls = className(p, p.label);
  return (
    <figure class={`sample sample-image ${size}`}>
      {body}
      {cls !== undefined && <figcaption>asked for: {cls}</figcaption>}
    </figure>
  );
}

export const digitsRenderer: SampleRenderer = {
  domain: 'digits',
  noun: 'image',
  View: ImageView,
  describe: (s: Sample) => {
    const p = s.payload;
    return looksLikeImage(p) && p.label !== undefined ? `image of class ${className(p, p.label)}` : `image ${s.id}`;
  },
  prediction: (s: Sample) => (looksLikeImage(s.payload) ? s.payload.prediction : undefined),
  classes: (s: Sample) => (looksLikeImage(s.payload) ? s.payload.classes : undefined),
};
