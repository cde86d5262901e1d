import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import { expect } from "vitest";
import type { ImageMode, RawImage } from "@atelier/core";

/** Folder of the Pillow reference PNGs written by test/reference/generate.py. */
export const REFERENCE_DIR = fileURLToPath(new URL("../reference/", import.meta.url));

/** One case of manifest.json. */
export interface ReferenceCase {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly params: Record<string, unknown>;
  readonly tolerance: { readonly max_diff?: number; readonly psnr?: number; readonly mismatch_fraction?: number };
  readonly output?: string;
  readonly mode?: ImageMode;
  readonly size?: readonly [number, number];
  readonly [extra: string]: unknown;
}

/** Reads manifest.json. */
export function loadManifest(): { pillow: string; cases: ReferenceCase[] } {
  return JSON.parse(readFileSync(`${REFERENCE_DIR}manifest.json`, "utf8")) as {
    pillow: string;
    cases: ReferenceCase[];
  };
}

const MODES: Record<number, ImageMode> = { 0: "L", 4: "LA", 2: "RGB", 6: "RGBA" };
const CHANNELS_OF: Record<number, number> = { 0: 1, 4: 2, 2: 3, 6: 4 };

/**
 * Decodes an 8-bit, non-interlaced PNG (what Pillow writes for L, LA, RGB and RGBA) into a RawImage with the
 * file's own channel layout. Written here because sharp turns grey images into RGB on raw output.
 */
export function decodePngBytes(bytes: Uint8Array, label = "png"): RawImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Uint8Array[] = [];
  while (pos < bytes.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      const depth = body[8];
      colorType = body[9];
      if (depth !== 8 || body[12] !== 0 || !(colorType in MODES))
        throw new Error(`${label}: unsupported PNG (depth ${depth}, colour type ${colorType}, interlace ${body[12]})`);
    } else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const c = CHANNELS_OF[colorType];
  const stride = width * c;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const o = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= c ? out[o + i - c] : 0;
      const b = y > 0 ? out[o - stride + i] : 0;
      const cc = y > 0 && i >= c ? out[o - stride + i - c] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - cc;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - cc);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : cc;
      }
      out[o + i] = v & 0xff;
    }
  }
  return { width, height, mode: MODES[colorType], data: out };
}

/** Decodes a PNG file (see decodePngBytes). */
export async function decodePng(path: string): Promise<RawImage> {
  return decodePngBytes(new Uint8Array(readFileSync(path)), path);
}

const cache = new Map<string, Promise<RawImage>>();

/** Loads one image of the reference folder (memoised). */
export function referenceImage(file: string): Promise<RawImage> {
  let p = cache.get(file);
  if (!p) {
    p = decodePng(`${REFERENCE_DIR}images/${file}`);
    cache.set(file, p);
  }
  return p;
}

/** Pixel comparison figures of two same-sized images. */
export interface ImageDiff {
  readonly maxDiff: number;
  readonly mismatches: number;
  readonly psnr: number;
  readonly firstMismatch?: { x: number; y: number; channel: number; actual: number; expected: number };
}

/** Compares two images byte by byte (sizes and modes must agree, else it throws with both shapes). */
export function compareImages(actual: RawImage, expected: RawImage): ImageDiff {
  if (actual.width !== expected.width || actual.height !== expected.height || actual.mode !== expected.mode) {
    throw new Error(
      `shape differs: got ${actual.mode} ${actual.width}x${actual.height}, expected ${expected.mode} ${expected.width}x${expected.height}`,
    );
  }
  let maxDiff = 0;
  let mismatches = 0;
  let se = 0;
  let firstMismatch: ImageDiff["firstMismatch"];
  const c = actual.data.length / Math.max(1, actual.width * actual.height);
  for (let i = 0; i < actual.data.length; i++) {
    const d = Math.abs(actual.data[i] - expected.data[i]);
    if (d > 0) {
      mismatches++;
      se += d * d;
      if (d > maxDiff) maxDiff = d;
      if (!firstMismatch) {
        const p = Math.floor(i / c);
        firstMismatch = {
          x: p % actual.width,
          y: Math.floor(p / actual.width),
          channel: i % c,
          actual: actual.data[i],
          expected: expected.data[i],
        };
      }
    }
  }
  const mse = se / Math.max(1, actual.data.length);
  const psnr = mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
  return { maxDiff, mismatches, psnr, firstMismatch };
}

/** An operation under test: the decoded inputs and the case parameters in, an image out. */
export type ReferenceOp = (inputs: RawImage[], params: Record<string, unknown>) => RawImage;

/** Runs one manifest case and checks it against the Pillow output within the case's tolerance. */
export async function checkCase(c: ReferenceCase, ops: Record<string, ReferenceOp>): Promise<void> {
  const inputs = await Promise.all(c.inputs.map((f) => referenceImage(f)));
  const expected = await referenceImage(c.output!);
  const actual = ops[c.op](inputs, c.params);
  const diff = compareImages(actual, expected);
  const maxDiff = c.tolerance.max_diff ?? 0;
  const label = `${c.name} ${JSON.stringify(c.params)}: max diff ${diff.maxDiff}, ${diff.mismatches} bytes differ, PSNR ${diff.psnr.toFixed(1)} dB, first ${JSON.stringify(diff.firstMismatch)}`;
  if (c.tolerance.psnr !== undefined) expect(diff.psnr, label).toBeGreaterThanOrEqual(c.tolerance.psnr);
  if (c.tolerance.max_diff !== undefined || c.tolerance.psnr === undefined)
    expect(diff.maxDiff, label).toBeLessThanOrEqual(maxDiff);
}
