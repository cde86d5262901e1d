/** Euler (Karras et al. 2022, Algorithm 2 without churn): diffusers' `EulerDiscreteScheduler`. */
import { drawNoise, type SetTimestepsOptions, type StepOptions, type StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { SIGMA_SCHEDULER_DEFAULTS, SigmaScheduler } from "./sigma-scheduler.js";

const f = Math.fround;

/** `EulerDiscreteScheduler.__init__` defaults. */
export const EULER_DEFAULTS: SchedulerDefaults = {
  ...SIGMA_SCHEDULER_DEFAULTS,
  interpolation_type: "linear",
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  sigma_min: null,
  sigma_max: null,
  timestep_type: "discrete",
  rescale_betas_zero_snr: false,
  final_sigmas_type: "zero",
};

/** Euler's method in sigma space: x ← x + (x − x0)/σ · (σ_next − σ). */
export class EulerDiscreteScheduler extends SigmaScheduler {
  readonly className = "EulerDiscreteScheduler";

  constructor(config: SchedulerConfig) {
    super(config);
    config.str("interpolation_type", ["linear"]);
    config.str("final_sigmas_type", ["zero", "sigma_min"]);
    config.str("timestep_type", ["discrete", "continuous"]);
  }

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const { timesteps, sigmas } = this.baseSchedule(n, {
      min: this.config.optNum("sigma_min"),
      max: this.config.optNum("sigma_max"),
    });
    const acp0 = this.alphasCumprod[0];
    const last = this.config.str("final_sigmas_type") === "sigma_min" ? f(Math.sqrt(f(f(1 - acp0) / acp0))) : 0;
    this.sigmaValues = Float32Array.from([...sigmas, last]);
    const continuousV =
      this.config.str("timestep_type") === "continuous" && this.config.str("prediction_type") === "v_prediction";
    this.schedule = continuousV
      ? Array.from(this.sigmaValues.subarray(0, n), (s) => f(0.25 * f(Math.log(s))))
      : timesteps.map(f);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    void options;
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t);
    const sigma = this.sigmaAt(i);
    const dt = f(this.sigmaAt(i + 1) - sigma);
    const pred = this.predictOriginal(modelOutput, sample, sigma);
    const prev = sample.map((s, k) => f(s + f(f(f(s - pred[k]) / sigma) * dt)));
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: pred };
  }
}

/** `EulerAncestralDiscreteScheduler.__init__` defaults. */
export const EULER_ANCESTRAL_DEFAULTS: SchedulerDefaults = {
  ...SIGMA_SCHEDULER_DEFAULTS,
  rescale_betas_zero_snr: false,
};

/** Euler ancestral: an Euler step to σ_down, then fresh noise of scale σ_up. */
export class EulerAncestralDiscreteScheduler extends SigmaScheduler {
  readonly className = "EulerAncestralDiscreteScheduler";

  protected buildSchedule(n: number): void {
    const { timesteps, sigmas } = this.baseSchedule(n);
    this.sigmaValues = Float32Array.from([...sigmas, 0]);
    this.schedule = timesteps.map(f);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    if (this.config.str("prediction_type") === "sample") {
      throw new SchedulerConfigError(this.className, "prediction_type", "sample prediction is not supported", "sample");
    }
    const i = this.initStepIndex(t);
    const sigma = this.sigmaAt(i);
    const sigmaTo = this.sigmaAt(i + 1);
    const from2 = f(sigma * sigma);
    const to2 = f(sigmaTo * sigmaTo);
    const sigmaUp = f(Math.sqrt(f(f(to2 * f(from2 - to2)) / from2)));
    const sigmaDown = f(Math.sqrt(f(to2 - f(sigmaUp * sigmaUp))));
    const dt = f(sigmaDown - sigma);
    const pred = this.predictOriginal(modelOutput, sample, sigma);
    const noise = drawNoise(options.generator, sample.length, this.className);
    const prev = sample.map((s, k) => f(f(s + f(f(f(s - pred[k]) / sigma) * dt)) + f(noise[k] * sigmaUp)));
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: pred };
  }
}
