/**
 * IEEE float16 and bfloat16 ⇄ float32 conversion. Node 20 has no Float16Array, so 16-bit floats live as raw bit
 * patterns in Uint16Array; every narrowing conversion rounds to nearest, ties to even, like torch's `.to(dtype)`.
 */

// Scratch cell for reinterpreting float32 bits; module-local so conversions allocate nothing.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

let float16Table: Float32Array | undefined;

/** All 65536 float16 values as float32, built on first use (256 KiB) so bulk widening is one lookup per element. */
function float16ToFloat32Table(): Float32Array {
  if (float16Table === undefined) {
    const table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = decodeFloat16(h);
    float16Table = table;
  }
  return float16Table;
}

function decodeFloat16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** The float32 value of a float16 bit pattern (exact: every half is a float32). */
export function float16BitsToFloat32(bits: number): number {
  return float16ToFloat32Table()[bits & 0xffff];
}

/** The float16 bit pattern nearest to `value` (after rounding it to float32), ties to even; overflow → ±inf. */
export function float32ToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00;
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is a half subnormal (or zero): count in units of 2^-24 from the 24-bit significand.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches inf at the top).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** The float32 value of a bfloat16 bit pattern. */
export function bfloat16BitsToFloat32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0];
}

/** The bfloat16 bit pattern nearest to `value` (after rounding it to float32), ties to even; NaN stays NaN. */
export function float32ToBfloat16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Widens float16 bit patterns to a new Float32Array. */
export function float16ArrayToFloat32(src: Uint16Array): Float32Array {
  const table = float16ToFloat32Table();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

/** Narrows float32 values to float16 bit patterns (round to nearest even). */
export function float32ArrayToFloat16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16Bits(src[i]);
  return out;
}

/** Widens bfloat16 bit patterns to a new Float32Array. */
export function bfloat16ArrayToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}

/** Narrows float32 values to bfloat16 bit patterns (round to nearest even). */
export function float32ArrayToBfloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i];
    out[i] =
      (x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0
        ? (x >>> 16) | 0x40
        : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}
