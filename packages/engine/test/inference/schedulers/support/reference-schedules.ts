/**
 * Independent float64 derivations of the schedules from their published definitions (DDPM betas, Karras et al.
 * ramp, k-diffusion's log-sigma interpolation, DPM-Solver's N+1 linspace, LCM's skipping grid, FLUX's shift).
 * Written from the formulas, not from the code under test, so that the tests compare two derivations.
 */

/** SD's "scaled_linear" training schedule: β_i = (√β0 + i(√β1 − √β0)/(N−1))², ᾱ = ∏(1 − β), σ = √((1−ᾱ)/ᾱ). */
export function refTrainSchedule(
  betaStart = 0.00085,
  betaEnd = 0.012,
  n = 1000,
): { alphasCumprod: number[]; sigmas: number[] } {
  const a = Math.sqrt(betaStart);
  const b = Math.sqrt(betaEnd);
  const alphasCumprod: number[] = [];
  let prod = 1;
  for (let i = 0; i < n; i++) {
    const beta = (a + (i * (b - a)) / (n - 1)) ** 2;
    prod *= 1 - beta;
    alphasCumprod.push(prod);
  }
  return { alphasCumprod, sigmas: alphasCumprod.map((ac) => Math.sqrt((1 - ac) / ac)) };
}

/** Evenly spaced `count` values from `from` to `to` inclusive (a single value is `from`). */
export function evenly(from: number, to: number, count: number): number[] {
  if (count === 1) return [from];
  return Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));
}

/** Banker's rounding (what numpy/Python round does). */
export function roundEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Piecewise-linear value of a table at a fractional index. */
export function lerpTable(table: readonly number[], x: number): number {
  const i = Math.min(Math.floor(x), table.length - 2);
  return table[i] + (table[i + 1] - table[i]) * (x - i);
}

/** Karras ramp with ρ = 7 from σmax to σmin in n points. */
export function karras(sigmaMin: number, sigmaMax: number, n: number): number[] {
  const lo = sigmaMin ** (1 / 7);
  const hi = sigmaMax ** (1 / 7);
  return evenly(0, 1, n).map((r) => (hi + r * (lo - hi)) ** 7);
}

/** The fractional training timestep whose σ, interpolated linearly in log σ, equals `sigma`. */
export function timestepOfSigma(sigma: number, trainSigmas: readonly number[]): number {
  const target = Math.log(sigma);
  const logs = trainSigmas.map(Math.log);
  if (target <= logs[0]) return 0;
  for (let i = 0; i + 1 < logs.length; i++) {
    if (target <= logs[i + 1]) return i + (target - logs[i]) / (logs[i + 1] - logs[i]);
  }
  return logs.length - 1;
}

/** Largest relative difference of two equally long lists (absolute below `floor`). */
export function maxRelDiff(a: readonly number[], b: readonly number[], floor = 1e-6): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const scale = Math.max(Math.abs(b[i]), floor);
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  }
  return worst;
}

/** The tiny SD1.5 fixture's scheduler_config.json (the real SD1.5 file). */
export const SD15_SCHEDULER_FILE = {
  _class_name: "PNDMScheduler",
  _diffusers_version: "0.6.0",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
} as const;

/** SDXL base's scheduler_config.json (leading spacing). */
export const SDXL_SCHEDULER_FILE = {
  _class_name: "EulerDiscreteScheduler",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  clip_sample: false,
  interpolation_type: "linear",
  num_train_timesteps: 1000,
  prediction_type: "epsilon",
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: "leading",
  trained_betas: null,
  use_karras_sigmas: false,
} as const;

/** FLUX.1-dev's scheduler_config.json. */
export const FLUX_SCHEDULER_FILE = {
  _class_name: "FlowMatchEulerDiscreteScheduler",
  base_image_seq_len: 256,
  base_shift: 0.5,
  max_image_seq_len: 4096,
  max_shift: 1.15,
  num_train_timesteps: 1000,
  shift: 3.0,
  use_dynamic_shifting: true,
} as const;
