/** DDIM (Song et al. 2020): diffusers' `DDIMScheduler`, deterministic at eta = 0. */
import { AlphaScheduler, ALPHA_SCHEDULER_DEFAULTS } from "./alpha-scheduler.js";
import { drawNoise, type StepOptions, type StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { TIMESTEP_SPACINGS, discreteTimesteps } from "./timestep-spacing.js";

const f = Math.fround;

/** `DDIMScheduler.__init__` defaults. */
export const DDIM_DEFAULTS: SchedulerDefaults = {
  ...ALPHA_SCHEDULER_DEFAULTS,
  clip_sample: true,
  set_alpha_to_one: true,
  timestep_spacing: "leading",
  rescale_betas_zero_snr: false,
};

/** x_{t−Δ} = √ᾱ_prev·x0 + √(1−ᾱ_prev−σ²)·ε (+ σ·z when eta > 0). */
export class DDIMScheduler extends AlphaScheduler {
  readonly className = "DDIMScheduler";
  private readonly finalAlphaCumprod: number;

  constructor(config: SchedulerConfig) {
    super(config);
    this.finalAlphaCumprod = config.bool("set_alpha_to_one") ? 1 : this.alphasCumprod[0];
    config.str("timestep_spacing", TIMESTEP_SPACINGS);
  }

  protected buildSchedule(n: number): void {
    const spacing = this.config.str("timestep_spacing", TIMESTEP_SPACINGS);
    this.schedule = discreteTimesteps(spacing, this.numTrainTimesteps, n, this.config.int("steps_offset"));
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const eta = options.eta ?? 0;
    const prevT = t - Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
    const alphaProd = this.alphaAt(t);
    const alphaPrev = this.alphaOrFinal(prevT, this.finalAlphaCumprod);
    const betaProd = f(1 - alphaProd);
    const betaPrev = f(1 - alphaPrev);
    const { x0: rawX0, eps } = this.originalAndEpsilon(modelOutput, sample, alphaProd);
    const x0 = this.clipOriginal(rawX0);
    const variance = f(f(betaPrev / betaProd) * f(1 - f(alphaProd / alphaPrev)));
    const std = f(eta * f(Math.sqrt(variance)));
    const dirCoeff = f(Math.sqrt(f(f(1 - alphaPrev) - f(std * std))));
    const x0Coeff = f(Math.sqrt(alphaPrev));
    let prev = x0.map((x, i) => f(f(x0Coeff * x) + f(dirCoeff * eps[i])));
    if (eta > 0) {
      const noise = drawNoise(options.generator, sample.length, this.className);
      prev = prev.map((x, i) => f(x + f(std * noise[i])));
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
