/**
 * Euler for rectified-flow models (FLUX, SD3): diffusers' `FlowMatchEulerDiscreteScheduler`. Sigmas run from 1
 * to 0; with dynamic shifting (FLUX) they are warped by the resolution-dependent μ: σ' = e^μ / (e^μ + 1/σ − 1).
 */
import { drawNoise, BaseScheduler, type SetTimestepsOptions, type StepOptions, type StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError, SchedulerUsageError } from "./scheduler-errors.js";
import { npLinspace } from "./numpy-compat.js";

const f = Math.fround;

/** `FlowMatchEulerDiscreteScheduler.__init__` defaults. */
export const FLOW_MATCH_EULER_DEFAULTS: SchedulerDefaults = {
  num_train_timesteps: 1000,
  shift: 1.0,
  use_dynamic_shifting: false,
  base_shift: 0.5,
  max_shift: 1.15,
  base_image_seq_len: 256,
  max_image_seq_len: 4096,
  invert_sigmas: false,
  shift_terminal: null,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  time_shift_type: "exponential",
  stochastic_sampling: false,
};

/** FLUX's μ for a packed image sequence length: linear between (base_seq, base_shift) and (max_seq, max_shift). */
export function flowMatchMu(config: SchedulerConfig, imageSeqLen: number): number {
  const baseLen = config.num("base_image_seq_len");
  const maxLen = config.num("max_image_seq_len");
  const baseShift = config.num("base_shift");
  const maxShift = config.num("max_shift");
  const m = (maxShift - baseShift) / (maxLen - baseLen);
  const b = baseShift - m * baseLen;
  return imageSeqLen * m + b;
}

/** The flow-matching Euler scheduler. */
export class FlowMatchEulerDiscreteScheduler extends BaseScheduler {
  readonly className = "FlowMatchEulerDiscreteScheduler";
  readonly timestepDtype = "float32" as const;

  constructor(config: SchedulerConfig) {
    super(config);
    for (const key of ["invert_sigmas", "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas"]) {
      if (config.bool(key)) throw new SchedulerConfigError(this.className, key, "is not supported", true);
    }
    config.str("time_shift_type", ["exponential", "linear"]);
  }

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    const N = this.numTrainTimesteps;
    const dynamic = this.config.bool("use_dynamic_shifting");
    let base: number[];
    if (options.sigmas !== undefined) {
      if (options.sigmas.length !== n) {
        throw new SchedulerUsageError(this.className, `got ${options.sigmas.length} sigmas for ${n} steps`, {
          field: "sigmas",
        });
      }
      base = options.sigmas.map(f);
    } else if (dynamic) {
      // What FluxPipeline and InvokeAI pass: N evenly spaced sigmas from 1 down to 1/N.
      base = npLinspace(1, 1 / n, n).map(f);
    } else {
      // diffusers' own default: timesteps between the (already shifted) training extremes.
      const shift = this.config.num("shift");
      const sMin = f(f(shift * f(1 / N)) / f(1 + f((shift - 1) * f(1 / N))));
      base = npLinspace(N, sMin * N, n).map((t) => f(t / N));
    }
    let sigmas: number[];
    if (dynamic) {
      const mu =
        options.mu ?? (options.imageSeqLen !== undefined ? flowMatchMu(this.config, options.imageSeqLen) : undefined);
      if (mu === undefined) {
        throw new SchedulerUsageError(this.className, "dynamic shifting needs mu or imageSeqLen in setTimesteps", {
          field: "mu",
        });
      }
      const linear = this.config.str("time_shift_type") === "linear";
      const em = f(linear ? mu : Math.exp(mu));
      sigmas = base.map((s) => f(em / f(em + f(f(1 / s) - 1))));
    } else {
      const shift = f(this.config.num("shift"));
      sigmas = base.map((s) => f(f(shift * s) / f(1 + f(f(shift - 1) * s))));
    }
    const terminal = this.config.optNum("shift_terminal");
    if (terminal !== null) {
      const scale = f(f(1 - sigmas[sigmas.length - 1]) / f(1 - terminal));
      sigmas = sigmas.map((s) => f(1 - f(f(1 - s) / scale)));
    }
    this.schedule = sigmas.map((s) => f(s * N));
    this.sigmaValues = Float32Array.from([...sigmas, 0]);
  }

  // InvokeAI's FLUX rule (`clip_timestep_schedule_fractional`): from the last sigma ≥ 1 − start to the last
  // sigma ≥ 1 − end; the calls are the sigmas of that span but its final one.
  protected override trim(start: number, end: number): number[] {
    const sigmas = this.sigmaValues as Float32Array;
    const lastAtLeast = (v: number) => {
      let idx = 0;
      sigmas.forEach((s, i) => {
        if (s >= v) idx = i;
      });
      return idx;
    };
    return this.schedule.slice(lastAtLeast(1 - start), lastAtLeast(1 - end));
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t);
    const sigma = this.sigmaAt(i);
    const sigmaNext = this.sigmaAt(i + 1);
    let prev: Float32Array;
    if (this.config.bool("stochastic_sampling")) {
      const x0 = sample.map((s, k) => f(s - f(sigma * modelOutput[k])));
      const noise = drawNoise(options.generator, sample.length, this.className);
      const keep = f(1 - sigmaNext);
      prev = x0.map((x, k) => f(f(keep * x) + f(sigmaNext * noise[k])));
    } else {
      const dt = f(sigmaNext - sigma);
      prev = sample.map((s, k) => f(s + f(dt * modelOutput[k])));
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: sample.map((s, k) => f(s - f(sigma * modelOutput[k]))) };
  }

  /** diffusers' `scale_noise`: σ·noise + (1 − σ)·x at the sigma of `t`. */
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    this.requireSchedule();
    this.checkSizes(original, noise);
    const sigma = this.sigmaAt(this.indexForTimestep(t));
    const keep = f(1 - sigma);
    return original.map((x, k) => f(f(sigma * noise[k]) + f(keep * x)));
  }
}
