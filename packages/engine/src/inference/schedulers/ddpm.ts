/** DDPM ancestral sampling (Ho et al. 2020): diffusers' `DDPMScheduler`. */
import { AlphaScheduler, ALPHA_SCHEDULER_DEFAULTS } from "./alpha-scheduler.js";
import { drawNoise, type StepOptions, type StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { TIMESTEP_SPACINGS, discreteTimesteps } from "./timestep-spacing.js";

const f = Math.fround;
const VARIANCE_TYPES = ["fixed_small", "fixed_small_log", "fixed_large"] as const;

/** `DDPMScheduler.__init__` defaults. */
export const DDPM_DEFAULTS: SchedulerDefaults = {
  ...ALPHA_SCHEDULER_DEFAULTS,
  variance_type: "fixed_small",
  clip_sample: true,
  timestep_spacing: "leading",
  rescale_betas_zero_snr: false,
};

/** Posterior mean of q(x_{t−Δ} | x_t, x0) plus noise of the posterior variance. */
export class DDPMScheduler extends AlphaScheduler {
  readonly className = "DDPMScheduler";

  constructor(config: SchedulerConfig) {
    super(config, { allowSigmoid: true });
    config.str("timestep_spacing", TIMESTEP_SPACINGS);
    const variance = config.str("variance_type");
    if (!(VARIANCE_TYPES as readonly string[]).includes(variance)) {
      throw new SchedulerConfigError(
        this.className,
        "variance_type",
        `must be one of ${VARIANCE_TYPES.join(", ")}`,
        variance,
      );
    }
  }

  protected buildSchedule(n: number): void {
    const spacing = this.config.str("timestep_spacing", TIMESTEP_SPACINGS);
    this.schedule = discreteTimesteps(spacing, this.numTrainTimesteps, n, this.config.int("steps_offset"));
  }

  private previousTimestep(t: number): number {
    return t - Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
  }

  private variance(t: number): number {
    const alphaProd = this.alphaAt(t);
    const alphaPrev = this.alphaOrFinal(this.previousTimestep(t), 1);
    const currentBeta = f(1 - f(alphaProd / alphaPrev));
    const small = Math.max(f(f(f(1 - alphaPrev) / f(1 - alphaProd)) * currentBeta), 1e-20);
    switch (this.config.str("variance_type")) {
      case "fixed_small_log":
        return f(Math.exp(0.5 * f(Math.log(small))));
      case "fixed_large":
        return currentBeta;
      default:
        return small;
    }
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const prevT = this.previousTimestep(t);
    const alphaProd = this.alphaAt(t);
    const alphaPrev = this.alphaOrFinal(prevT, 1);
    const betaProd = f(1 - alphaProd);
    const betaPrev = f(1 - alphaPrev);
    const currentAlpha = f(alphaProd / alphaPrev);
    const currentBeta = f(1 - currentAlpha);
    const x0 = this.clipOriginal(this.originalAndEpsilon(modelOutput, sample, alphaProd).x0);
    const x0Coeff = f(f(f(Math.sqrt(alphaPrev)) * currentBeta) / betaProd);
    const sampleCoeff = f(f(f(Math.sqrt(currentAlpha)) * betaPrev) / betaProd);
    let prev = x0.map((x, i) => f(f(x0Coeff * x) + f(sampleCoeff * sample[i])));
    if (t > 0) {
      const noise = drawNoise(options.generator, sample.length, this.className);
      const v = this.variance(t);
      const scale = this.config.str("variance_type") === "fixed_small_log" ? v : f(Math.sqrt(v));
      prev = prev.map((x, i) => f(x + f(scale * noise[i])));
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
