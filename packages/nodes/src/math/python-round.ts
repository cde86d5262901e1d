/**
 * Python's `round()` for floats: round-half-to-even on the exact binary value of the double, so `round(2.5) == 2`,
 * `round(0.125, 2) == 0.12` and `round(2.675, 2) == 2.67` (2.675 is stored as 2.67499999…). JavaScript's
 * `Math.round` and `toFixed` round halves up, which differs on every exact tie.
 */

// Beyond these Python returns the value unchanged / a signed zero without rounding.
const NDIGITS_MAX = 323;
const NDIGITS_MIN = -308;

/** `round(x, ndigits)` as CPython computes it for a float. */
export function pythonRound(x: number, ndigits = 0): number {
  if (!Number.isInteger(ndigits)) throw new RangeError(`ndigits must be an integer, got ${ndigits}`);
  if (!Number.isFinite(x) || x === 0) return x;
  if (ndigits > NDIGITS_MAX) return x;
  if (ndigits < NDIGITS_MIN) return 0 * x;
  const negative = x < 0;
  const { mantissa, exponent } = decompose(Math.abs(x));
  // |x| * 10^ndigits = num / den exactly.
  let num = mantissa;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  if (ndigits >= 0) num *= 10n ** BigInt(ndigits);
  else den *= 10n ** BigInt(-ndigits);
  let q = num / den;
  const twiceRem = (num - q * den) * 2n;
  if (twiceRem > den || (twiceRem === den && q % 2n === 1n)) q += 1n;
  // Decimal text → double is correctly rounded, which is how CPython builds the result too.
  const magnitude = Number.parseFloat(`${q}e${-ndigits}`);
  return negative ? -magnitude : magnitude;
}

/** The double as mantissa · 2^exponent with an integer mantissa. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}
