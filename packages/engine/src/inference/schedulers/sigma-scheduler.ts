/**
 * Common ground of the k-diffusion-style schedulers (Euler, Euler a, Heun, LMS, KDPM2, KDPM2 a, DPM-SDE):
 * float timesteps from `timestep_spacing`, sigmas interpolated from the training sigmas (or a Karras /
 * exponential ramp mapped back to timesteps), model input scaled by 1/√(σ²+1), noise added as x + σ·ε.
 */
import { noiseScheduleOf, trainingSigmas } from "./noise-schedule.js";
import { npInterpIndex } from "./numpy-compat.js";
import { BaseScheduler } from "./scheduler.js";
import type { SchedulerConfig } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { exponentialSigmas, karrasSigmas, logSigmasOf, sigmaToT } from "./sigma-schedules.js";
import { TIMESTEP_SPACINGS, sigmaSchedulerTimesteps, type TimestepSpacing } from "./timestep-spacing.js";

const f = Math.fround;

/** Base of the sigma-space schedulers. */
export abstract class SigmaScheduler extends BaseScheduler {
  readonly timestepDtype = "float32" as const;
  protected readonly alphasCumprod: Float32Array;
  protected readonly trainSigmas: Float32Array;
  protected readonly logSigmas: Float32Array;
  protected readonly spacing: TimestepSpacing;

  constructor(config: SchedulerConfig) {
    super(config);
    this.alphasCumprod = noiseScheduleOf(config);
    if (Object.hasOwn(config.values, "rescale_betas_zero_snr") && config.bool("rescale_betas_zero_snr")) {
      // Zero terminal SNR makes the last sigma infinite; diffusers pins ᾱ_T to 2⁻²⁴ instead.
      this.alphasCumprod[this.alphasCumprod.length - 1] = 2 ** -24;
    }
    this.trainSigmas = trainingSigmas(this.alphasCumprod);
    this.logSigmas = logSigmasOf(this.trainSigmas);
    this.spacing = config.str("timestep_spacing", TIMESTEP_SPACINGS);
    config.str("prediction_type", ["epsilon", "v_prediction", "sample"]);
  }

  override get initNoiseSigma(): number {
    const sigmas = this.sigmaValues ?? this.trainSigmas;
    let max = 0;
    for (const s of sigmas) max = Math.max(max, s);
    return this.spacing === "linspace" || this.spacing === "trailing" ? max : f(Math.sqrt(f(f(max * max) + 1)));
  }

  override scaleModelInput(sample: Float32Array, t: number): Float32Array {
    this.requireSchedule();
    const index = this.initStepIndex(t);
    const sigma = this.inputSigma(index);
    const denom = f(Math.sqrt(f(f(sigma * sigma) + 1)));
    return sample.map((x) => x / denom);
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    this.requireSchedule();
    this.checkSizes(original, noise);
    const sigma = this.sigmaAt(this.indexForTimestep(t));
    return original.map((x, i) => f(x + f(noise[i] * sigma)));
  }

  /** The sigma scale_model_input divides by at a step index. */
  protected inputSigma(index: number): number {
    return this.sigmaAt(index);
  }

  /**
   * The N timesteps and (float64) sigmas before the final sigma is appended: spacing, interpolation, and the
   * Karras / exponential ramps between the ends of the interpolated sigmas (or the config's sigma_min/max).
   */
  protected baseSchedule(n: number, bounds: { min: number | null; max: number | null } = { min: null, max: null }) {
    let timesteps = sigmaSchedulerTimesteps(this.spacing, this.numTrainTimesteps, n, this.config.int("steps_offset"));
    let sigmas = timesteps.map((t) => npInterpIndex(t, this.trainSigmas));
    const ramp = this.sigmaRamp();
    if (ramp !== "interpolated") {
      const sMin = bounds.min ?? sigmas[sigmas.length - 1];
      const sMax = bounds.max ?? sigmas[0];
      sigmas = ramp === "karras" ? karrasSigmas(sMin, sMax, n) : exponentialSigmas(sMin, sMax, n);
      timesteps = sigmas.map((s) => sigmaToT(s, this.logSigmas));
    }
    return { timesteps, sigmas, karras: ramp !== "interpolated" };
  }

  private sigmaRamp(): "interpolated" | "karras" | "exponential" {
    const has = (key: string) => Object.hasOwn(this.config.values, key) && this.config.bool(key);
    if (has("use_beta_sigmas")) {
      throw new SchedulerConfigError(this.className, "use_beta_sigmas", "beta sigmas are not supported", true);
    }
    if (has("use_karras_sigmas")) return "karras";
    if (has("use_exponential_sigmas")) return "exponential";
    return "interpolated";
  }

  /** x0 from the model output at noise level σ for the configured prediction type. */
  protected predictOriginal(
    modelOutput: Float32Array,
    sample: Float32Array,
    sigma: number,
    allowSample = true,
  ): Float32Array {
    const type = this.config.str("prediction_type", ["epsilon", "v_prediction", "sample"]);
    if (type === "epsilon") return sample.map((s, i) => f(s - f(sigma * modelOutput[i])));
    if (type === "v_prediction") {
      const c1 = f(-sigma / f(Math.sqrt(f(f(sigma * sigma) + 1))));
      const c2 = f(f(sigma * sigma) + 1);
      return sample.map((s, i) => f(f(modelOutput[i] * c1) + f(s / c2)));
    }
    if (!allowSample) {
      throw new SchedulerConfigError(
        this.className,
        "prediction_type",
        "sample prediction is not supported by this scheduler",
        type,
      );
    }
    return Float32Array.from(modelOutput);
  }
}

/** Defaults shared by the sigma schedulers' configs. */
export const SIGMA_SCHEDULER_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  trained_betas: null,
  prediction_type: "epsilon",
  timestep_spacing: "linspace",
  steps_offset: 0,
} as const;
