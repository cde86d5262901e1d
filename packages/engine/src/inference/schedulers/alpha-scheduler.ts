/**
 * Common ground of the schedulers that index ᾱ by integer timestep (DDIM, DDPM, PNDM, LCM, TCD): int64
 * timesteps, no input scaling, noise added as √ᾱ·x + √(1−ᾱ)·ε.
 */
import { noiseScheduleOf } from "./noise-schedule.js";
import { BaseScheduler } from "./scheduler.js";
import type { SchedulerConfig } from "./scheduler-config.js";
import { SchedulerConfigError, SchedulerUsageError } from "./scheduler-errors.js";

const f = Math.fround;

/** Base of the ᾱ-indexed schedulers. */
export abstract class AlphaScheduler extends BaseScheduler {
  readonly timestepDtype = "int64" as const;
  protected readonly alphasCumprod: Float32Array;

  constructor(config: SchedulerConfig, options: { allowSigmoid?: boolean } = {}) {
    super(config);
    this.alphasCumprod = noiseScheduleOf(config, options);
    config.str("prediction_type", ["epsilon", "v_prediction", "sample"]);
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    this.checkSizes(original, noise);
    const a = this.alphaAt(t);
    const sa = f(Math.sqrt(a));
    const sb = f(Math.sqrt(f(1 - a)));
    return original.map((x, i) => f(f(sa * x) + f(sb * noise[i])));
  }

  /** ᾱ at an integer training timestep. */
  protected alphaAt(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t >= this.alphasCumprod.length) {
      throw new SchedulerUsageError(this.className, `timestep ${t} is not an integer training timestep`, {
        field: "timestep",
        value: t,
      });
    }
    return this.alphasCumprod[t];
  }

  /** ᾱ at `t`, or `fallback` for the step past timestep 0. */
  protected alphaOrFinal(t: number, fallback: number): number {
    return t >= 0 ? this.alphaAt(t) : fallback;
  }

  /** x0 and ε from the model output, per prediction type (DDIM's equations). */
  protected originalAndEpsilon(modelOutput: Float32Array, sample: Float32Array, alphaProd: number) {
    const beta = f(1 - alphaProd);
    const sa = f(Math.sqrt(alphaProd));
    const sb = f(Math.sqrt(beta));
    const type = this.config.str("prediction_type");
    let x0: Float32Array;
    let eps: Float32Array;
    if (type === "epsilon") {
      x0 = sample.map((s, i) => f(f(s - f(sb * modelOutput[i])) / sa));
      eps = Float32Array.from(modelOutput);
    } else if (type === "sample") {
      x0 = Float32Array.from(modelOutput);
      eps = sample.map((s, i) => f(f(s - f(sa * x0[i])) / sb));
    } else {
      x0 = sample.map((s, i) => f(f(sa * s) - f(sb * modelOutput[i])));
      eps = sample.map((s, i) => f(f(sa * modelOutput[i]) + f(sb * s)));
    }
    return { x0, eps };
  }

  /** Clips x0 to ±clip_sample_range when the config asks (dynamic thresholding is refused). */
  protected clipOriginal(x0: Float32Array): Float32Array {
    const values = this.config.values;
    if (Object.hasOwn(values, "thresholding") && this.config.bool("thresholding")) {
      throw new SchedulerConfigError(this.className, "thresholding", "dynamic thresholding is not supported", true);
    }
    if (Object.hasOwn(values, "clip_sample") && this.config.bool("clip_sample")) {
      const r = this.config.num("clip_sample_range");
      return x0.map((x) => Math.min(r, Math.max(-r, x)));
    }
    return x0;
  }
}

/** Config keys DDIM-like classes share. */
export const ALPHA_SCHEDULER_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  trained_betas: null,
  prediction_type: "epsilon",
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  clip_sample_range: 1.0,
  sample_max_value: 1.0,
  steps_offset: 0,
} as const;
