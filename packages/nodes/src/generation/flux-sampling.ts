/**
 * FLUX sampling maths as InvokeAI's `flux/sampling_utils.py` does it: 2×2 latent packing, position ids, the
 * shifted timestep schedule and its clipping to a denoising range. Pure functions over float32 arrays.
 */

/** Packs `[b, c, h, w]` latents into tokens `[b, (h/2)(w/2), c·4]` (row-major tokens, feature = c·4 + dy·2 + dx). */
export function packLatents(data: Float32Array, shape: readonly number[]): Float32Array {
  const [b = 1, c = 0, h = 0, w = 0] = shape;
  const ph = h / 2;
  const pw = w / 2;
  const out = new Float32Array(data.length);
  let o = 0;
  for (let n = 0; n < b; n++) {
    const base = n * c * h * w;
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        for (let ch = 0; ch < c; ch++) {
          const plane = base + ch * h * w;
          for (let dy = 0; dy < 2; dy++) {
            const row = plane + (2 * y + dy) * w + 2 * x;
            out[o++] = data[row] as number;
            out[o++] = data[row + 1] as number;
          }
        }
      }
    }
  }
  return out;
}

/** The inverse of `packLatents`: tokens back to `[b, c, h, w]` for the given unpacked shape. */
export function unpackLatents(data: Float32Array, shape: readonly number[]): Float32Array {
  const [b = 1, c = 0, h = 0, w = 0] = shape;
  const ph = h / 2;
  const pw = w / 2;
  const out = new Float32Array(data.length);
  let i = 0;
  for (let n = 0; n < b; n++) {
    const base = n * c * h * w;
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        for (let ch = 0; ch < c; ch++) {
          const plane = base + ch * h * w;
          for (let dy = 0; dy < 2; dy++) {
            const row = plane + (2 * y + dy) * w + 2 * x;
            out[row] = data[i++] as number;
            out[row + 1] = data[i++] as number;
          }
        }
      }
    }
  }
  return out;
}

/** Image position ids `[(h/2)(w/2), 3]` = (0, row, col) per packed token, for latents of height h and width w. */
export function fluxImageIds(latentHeight: number, latentWidth: number): Float32Array {
  const ph = Math.floor(latentHeight / 2);
  const pw = Math.floor(latentWidth / 2);
  const ids = new Float32Array(ph * pw * 3);
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const t = (y * pw + x) * 3;
      ids[t + 1] = y;
      ids[t + 2] = x;
    }
  }
  return ids;
}

/** Text position ids `[seq, 3]`: all zeros for FLUX.1. */
export function fluxTextIds(sequenceLength: number): Float32Array {
  return new Float32Array(sequenceLength * 3);
}

/** The resolution-dependent shift `mu`: linear from 0.5 at 256 tokens to 1.15 at 4096 tokens. */
export function fluxScheduleShift(imageSeqLen: number, baseShift = 0.5, maxShift = 1.15): number {
  const slope = (maxShift - baseShift) / (4096 - 256);
  return slope * imageSeqLen + (baseShift - slope * 256);
}

/**
 * InvokeAI's `get_schedule`: `num_steps + 1` timesteps from 1 to 0, shifted towards high noise with
 * `e^mu / (e^mu + (1/t − 1))` unless `shift` is false (schnell). Computed in float32, as torch does.
 */
export function fluxSchedule(numSteps: number, imageSeqLen: number, shift = true): number[] {
  const f = Math.fround;
  const expMu = f(Math.exp(fluxScheduleShift(imageSeqLen)));
  const step = f(-1 / numSteps);
  const out: number[] = [];
  for (let i = 0; i <= numSteps; i++) {
    // torch.linspace(1, 0, n + 1) in float32: the first half steps from the start, the second back from the end.
    const t = i < Math.floor((numSteps + 1) / 2) ? f(1 + f(step * i)) : f(0 - f(step * (numSteps - i)));
    if (!shift) {
      out.push(t);
      continue;
    }
    // `e^mu / tensor` is `tensor.reciprocal() * e^mu` in torch; at t = 0 the reciprocal is +inf and the result 0.
    const denominator = f(expMu + f(f(1 / t) - 1));
    out.push(f(f(1 / denominator) * expMu));
  }
  return out;
}

function lastIndexAtLeast(timesteps: readonly number[], value: number, eps = 1e-6): number {
  return timesteps.filter((t) => t >= value - eps).length - 1;
}

/**
 * InvokeAI's `clip_timestep_schedule_fractional`: the part of a schedule between `1 − start` and `1 − end`, with
 * its first and last entries set to exactly those values.
 */
export function clipFluxSchedule(timesteps: readonly number[], denoisingStart: number, denoisingEnd: number): number[] {
  const startValue = 1 - denoisingStart;
  const endValue = 1 - denoisingEnd;
  const startIndex = lastIndexAtLeast(timesteps, startValue);
  const endIndex = lastIndexAtLeast(timesteps, endValue);
  const clipped = timesteps.slice(startIndex, endIndex + 1);
  if (clipped.length === 0) return clipped;
  clipped[0] = startValue;
  clipped[clipped.length - 1] = endValue;
  return clipped;
}
