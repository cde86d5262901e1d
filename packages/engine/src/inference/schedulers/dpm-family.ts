/**
 * Common ground of the exponential-integrator solvers (DPM-Solver multistep/singlestep, DEIS, UniPC): integer
 * timesteps, sigmas √((1−ᾱ)/ᾱ) (interpolated, or a Karras / exponential / Lu ramp), α_t = 1/√(σ²+1),
 * σ_t = σ·α_t, λ = log α_t − log σ_t, and noise added as α_t·x + σ_t·ε. All scalars follow torch float32.
 */
import { noiseScheduleOf, trainingSigmas } from "./noise-schedule.js";
import { npInterpIndex, npLinspace, roundHalfEven } from "./numpy-compat.js";
import { BaseScheduler } from "./scheduler.js";
import type { SchedulerConfig } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { exponentialSigmas, karrasSigmas, logSigmasOf, sigmaToT } from "./sigma-schedules.js";

const f = Math.fround;

/** α_t and σ_t of a sigma, as diffusers' `_sigma_to_alpha_sigma_t` in float32. */
export function alphaSigmaOf(sigma: number): [alpha: number, sigmaT: number] {
  const alpha = f(1 / f(Math.sqrt(f(f(sigma * sigma) + 1))));
  return [alpha, f(sigma * alpha)];
}

/** λ = log α − log σ (+∞ at σ = 0). */
export function lambdaOf(alpha: number, sigmaT: number): number {
  return f(f(Math.log(alpha)) - f(Math.log(sigmaT)));
}

/** Base of the λ-space solvers. */
export abstract class DpmFamilyScheduler extends BaseScheduler {
  readonly timestepDtype = "int64" as const;
  protected readonly alphasCumprod: Float32Array;
  protected readonly trainSigmas: Float32Array;
  protected readonly logSigmas: Float32Array;

  constructor(config: SchedulerConfig) {
    super(config);
    this.alphasCumprod = noiseScheduleOf(config);
    if (Object.hasOwn(config.values, "rescale_betas_zero_snr") && config.bool("rescale_betas_zero_snr")) {
      this.alphasCumprod[this.alphasCumprod.length - 1] = 2 ** -24;
    }
    this.trainSigmas = trainingSigmas(this.alphasCumprod);
    this.logSigmas = logSigmasOf(this.trainSigmas);
    config.str("prediction_type", ["epsilon", "v_prediction", "sample"]);
    if (Object.hasOwn(config.values, "use_flow_sigmas") && config.bool("use_flow_sigmas")) {
      throw new SchedulerConfigError(config.className, "use_flow_sigmas", "flow sigmas are not supported here", true);
    }
    if (Object.hasOwn(config.values, "use_beta_sigmas") && config.bool("use_beta_sigmas")) {
      throw new SchedulerConfigError(config.className, "use_beta_sigmas", "beta sigmas are not supported", true);
    }
    if (Object.hasOwn(config.values, "thresholding") && config.bool("thresholding")) {
      throw new SchedulerConfigError(config.className, "thresholding", "dynamic thresholding is not supported", true);
    }
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    this.requireSchedule();
    this.checkSizes(original, noise);
    const [alpha, sigmaT] = alphaSigmaOf(this.sigmaAt(this.indexForTimestep(t, "last")));
    return original.map((x, i) => f(f(alpha * x) + f(sigmaT * noise[i])));
  }

  /** Training sigma at timestep 0 (the "sigma_min" final sigma). */
  protected get trainSigmaMin(): number {
    const a = this.alphasCumprod[0];
    return f(Math.sqrt(f(f(1 - a) / a)));
  }

  /**
   * Timesteps and sigmas for `n` steps from spaced timesteps: interpolated sigmas, or a ramp over the whole
   * training range (Karras, exponential, Lu λ-uniform) whose timesteps are the rounded inverse map.
   * `finalSigma` is appended.
   */
  protected rampSchedule(
    spaced: number[],
    n: number,
    finalSigma: (rampSigmas: number[] | null) => number,
  ): { timesteps: number[]; sigmas: Float32Array } {
    const has = (key: string) => Object.hasOwn(this.config.values, key) && this.config.bool(key);
    const sMin = this.trainSigmas[0];
    const sMax = this.trainSigmas[this.trainSigmas.length - 1];
    let ramp: number[] | null = null;
    if (has("use_karras_sigmas")) ramp = karrasSigmas(sMin, sMax, n);
    else if (has("use_lu_lambdas")) {
      const lMin = this.logSigmas[0];
      const lMax = this.logSigmas[this.logSigmas.length - 1];
      ramp = npLinspace(0, 1, n).map((r) => Math.exp(lMax + r * (lMin - lMax)));
    } else if (has("use_exponential_sigmas")) ramp = exponentialSigmas(sMin, sMax, n);
    if (ramp !== null) {
      const timesteps = ramp.map((s) => roundHalfEven(sigmaToT(s, this.logSigmas)));
      return { timesteps, sigmas: Float32Array.from([...ramp, finalSigma(ramp)]) };
    }
    const sigmas = spaced.map((t) => npInterpIndex(t, this.trainSigmas));
    return { timesteps: spaced, sigmas: Float32Array.from([...sigmas, finalSigma(null)]) };
  }

  /** The model output turned into x0 (data prediction) at the current sigma. */
  protected toDataPrediction(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    const [alpha, sigmaT] = alphaSigmaOf(sigma);
    switch (this.config.str("prediction_type")) {
      case "epsilon":
        return sample.map((s, i) => f(f(s - f(sigmaT * modelOutput[i])) / alpha));
      case "v_prediction":
        return sample.map((s, i) => f(f(alpha * s) - f(sigmaT * modelOutput[i])));
      default:
        return Float32Array.from(modelOutput);
    }
  }

  /** The model output turned into ε (noise prediction) at the current sigma. */
  protected toNoisePrediction(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    const [alpha, sigmaT] = alphaSigmaOf(sigma);
    switch (this.config.str("prediction_type")) {
      case "epsilon":
        return Float32Array.from(modelOutput);
      case "v_prediction":
        return sample.map((s, i) => f(f(alpha * modelOutput[i]) + f(sigmaT * s)));
      default:
        return sample.map((s, i) => f(f(s - f(alpha * modelOutput[i])) / sigmaT));
    }
  }
}
