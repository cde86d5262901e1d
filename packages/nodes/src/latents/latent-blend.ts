/**
 * Spherical linear interpolation of two latent tensors, as InvokeAI's `lblend` computes it: one angle for the whole
 * tensor (the flattened vectors), falling back to linear interpolation when they are nearly parallel.
 */

/** Above this |cos θ| the vectors are treated as parallel and blended linearly (InvokeAI's DOT_THRESHOLD). */
export const SLERP_DOT_THRESHOLD = 0.9995;

/** `slerp(t, v0, v1)` over the whole arrays. */
export function slerp(t: number, v0: Float32Array, v1: Float32Array): Float32Array {
  if (v0.length !== v1.length) throw new RangeError(`slerp needs equal lengths, got ${v0.length} and ${v1.length}`);
  let dotRaw = 0;
  let n0 = 0;
  let n1 = 0;
  for (let i = 0; i < v0.length; i++) {
    dotRaw += v0[i] * v1[i];
    n0 += v0[i] * v0[i];
    n1 += v1[i] * v1[i];
  }
  const out = new Float32Array(v0.length);
  const dot = dotRaw / (Math.sqrt(n0) * Math.sqrt(n1));
  // A zero vector gives NaN here; numpy does the same and then takes the linear branch only if |dot| > threshold,
  // which NaN is not — we choose the linear blend, which is the only meaningful answer.
  if (!(Math.abs(dot) <= SLERP_DOT_THRESHOLD)) {
    for (let i = 0; i < v0.length; i++) out[i] = (1 - t) * v0[i] + t * v1[i];
    return out;
  }
  const theta0 = Math.acos(dot);
  const sinTheta0 = Math.sin(theta0);
  const thetaT = theta0 * t;
  const s0 = Math.sin(theta0 - thetaT) / sinTheta0;
  const s1 = Math.sin(thetaT) / sinTheta0;
  for (let i = 0; i < v0.length; i++) out[i] = s0 * v0[i] + s1 * v1[i];
  return out;
}
