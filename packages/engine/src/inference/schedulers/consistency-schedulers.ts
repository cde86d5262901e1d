/**
 * Consistency-distilled samplers: LCM (Luo et al. 2023, diffusers' `LCMScheduler`) and TCD (Zheng et al. 2024,
 * diffusers' `TCDScheduler`). Both pick timesteps from the distillation grid of `original_inference_steps`.
 */
import { AlphaScheduler, ALPHA_SCHEDULER_DEFAULTS } from "./alpha-scheduler.js";
import { drawNoise, type StepOptions, type StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerUsageError } from "./scheduler-errors.js";

const f = Math.fround;

/** `LCMScheduler` / `TCDScheduler` defaults. */
export const CONSISTENCY_DEFAULTS: SchedulerDefaults = {
  ...ALPHA_SCHEDULER_DEFAULTS,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  original_inference_steps: 50,
  clip_sample: false,
  set_alpha_to_one: true,
  timestep_spacing: "leading",
  timestep_scaling: 10.0,
  rescale_betas_zero_snr: false,
};

abstract class ConsistencyScheduler extends AlphaScheduler {
  protected readonly finalAlphaCumprod: number;

  constructor(config: SchedulerConfig) {
    super(config);
    this.finalAlphaCumprod = config.bool("set_alpha_to_one") ? 1 : this.alphasCumprod[0];
  }

  // The distillation grid k−1, 2k−1, … (k = N / original steps), reversed, sampled at floor(linspace(0, len, n)).
  protected buildSchedule(n: number): void {
    const N = this.numTrainTimesteps;
    const original = this.config.int("original_inference_steps");
    if (original < 1 || original > N) {
      throw new SchedulerUsageError(this.className, `original_inference_steps ${original} must lie in [1, ${N}]`);
    }
    if (n > original) {
      throw new SchedulerUsageError(
        this.className,
        `steps (${n}) cannot exceed original_inference_steps (${original})`,
        { field: "steps", value: n },
      );
    }
    const k = Math.floor(N / original);
    const grid = Array.from({ length: original }, (_, i) => (i + 1) * k - 1).reverse();
    const stride = grid.length / n;
    this.schedule = Array.from({ length: n }, (_, i) => grid[Math.floor(i * stride)]);
    this.stepIndex = null;
  }

  protected nextTimestep(index: number): number | undefined {
    return index + 1 < this.schedule.length ? this.schedule[index + 1] : undefined;
  }
}

/** LCM: denoise with the consistency boundary condition, then re-noise to the next timestep. */
export class LCMScheduler extends ConsistencyScheduler {
  readonly className = "LCMScheduler";

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t);
    const prevT = this.nextTimestep(i) ?? t;
    const alphaProd = this.alphaAt(t);
    const alphaPrev = this.alphaOrFinal(prevT, this.finalAlphaCumprod);
    const scaled = f(t * this.config.num("timestep_scaling"));
    const denom = f(f(scaled * scaled) + 0.25);
    const cSkip = f(0.25 / denom);
    const cOut = f(scaled / f(Math.sqrt(denom)));
    const x0 = this.clipOriginal(this.originalAndEpsilon(modelOutput, sample, alphaProd).x0);
    const denoised = x0.map((x, k) => f(f(cOut * x) + f(cSkip * sample[k])));
    let prev = denoised;
    if (i !== this.numInferenceSteps - 1) {
      const noise = drawNoise(options.generator, sample.length, this.className);
      const a = f(Math.sqrt(alphaPrev));
      const b = f(Math.sqrt(f(1 - alphaPrev)));
      prev = denoised.map((x, k) => f(f(a * x) + f(b * noise[k])));
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: denoised };
  }
}

/** TCD: predict x0, move to an intermediate s = ⌊(1−η)·t_prev⌋ deterministically, then re-noise to t_prev. */
export class TCDScheduler extends ConsistencyScheduler {
  readonly className = "TCDScheduler";

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const eta = options.eta ?? 0.3;
    if (!(eta >= 0 && eta <= 1))
      throw new SchedulerUsageError(this.className, `eta ${eta} must lie in [0, 1]`, { field: "eta" });
    const i = this.initStepIndex(t);
    const prevT = this.nextTimestep(i) ?? 0;
    const s = Math.floor(f((1 - eta) * prevT));
    const alphaProd = this.alphaAt(t);
    const alphaPrev = this.alphaOrFinal(prevT, this.finalAlphaCumprod);
    const alphaS = this.alphaAt(s);
    const { x0, eps } = this.originalAndEpsilon(modelOutput, sample, alphaProd);
    const sa = f(Math.sqrt(alphaS));
    const sb = f(Math.sqrt(f(1 - alphaS)));
    const noised = x0.map((x, k) => f(f(sa * x) + f(sb * eps[k])));
    let prev = noised;
    if (eta > 0 && i !== this.numInferenceSteps - 1) {
      const noise = drawNoise(options.generator, sample.length, this.className);
      const ratio = f(alphaPrev / alphaS);
      const a = f(Math.sqrt(ratio));
      const b = f(Math.sqrt(f(1 - ratio)));
      prev = noised.map((x, k) => f(f(a * x) + f(b * noise[k])));
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: noised };
  }
}
