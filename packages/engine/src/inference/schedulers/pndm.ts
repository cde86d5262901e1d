/**
 * Pseudo numerical methods (Liu et al. 2022): diffusers' `PNDMScheduler`. With `skip_prk_steps` (SD1.5's file)
 * it is PLMS: a linear multistep on ε; the second timestep repeats once, so N steps take N+1 model calls.
 */
import { AlphaScheduler } from "./alpha-scheduler.js";
import type { StepOptions, StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { npArange, npLinspace, roundHalfEven } from "./numpy-compat.js";
import { TIMESTEP_SPACINGS } from "./timestep-spacing.js";

const f = Math.fround;
const PNDM_ORDER = 4;

/** `PNDMScheduler.__init__` defaults. */
export const PNDM_DEFAULTS: SchedulerDefaults = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  trained_betas: null,
  skip_prk_steps: false,
  set_alpha_to_one: false,
  prediction_type: "epsilon",
  timestep_spacing: "leading",
  steps_offset: 0,
};

/** PLMS (and the Runge–Kutta warm-up when `skip_prk_steps` is false). */
export class PNDMScheduler extends AlphaScheduler {
  readonly className = "PNDMScheduler";
  private readonly finalAlphaCumprod: number;
  private prkTimesteps: number[] = [];
  private ets: Float32Array[] = [];
  private counter = 0;
  private curModelOutput: Float32Array | null = null;
  private curSample: Float32Array | null = null;

  constructor(config: SchedulerConfig) {
    super(config);
    this.finalAlphaCumprod = config.bool("set_alpha_to_one") ? 1 : this.alphasCumprod[0];
    if (config.str("prediction_type") === "sample") {
      throw new SchedulerConfigError(this.className, "prediction_type", "sample prediction is not supported", "sample");
    }
  }

  protected buildSchedule(n: number): void {
    const N = this.numTrainTimesteps;
    const spacing = this.config.str("timestep_spacing", TIMESTEP_SPACINGS);
    let base: number[];
    if (spacing === "linspace") base = npLinspace(0, N - 1, n).map(roundHalfEven);
    else if (spacing === "leading") {
      const ratio = Math.floor(N / n);
      base = Array.from({ length: n }, (_, i) => roundHalfEven(i * ratio) + this.config.int("steps_offset"));
    } else {
      base = npArange(N, 0, -N / n)
        .map(roundHalfEven)
        .reverse()
        .map((t) => t - 1);
    }
    // `base` is ascending here, as diffusers' `_timesteps`.
    if (this.config.bool("skip_prk_steps")) {
      this.prkTimesteps = [];
      this.schedule = [...base.slice(0, -1), ...base.slice(-2, -1), ...base.slice(-1)].reverse();
    } else {
      const half = Math.floor(Math.floor(N / n) / 2);
      const tail = base.slice(-PNDM_ORDER).flatMap((t) => [t, t]);
      const prk = tail.map((t, i) => t + (i % 2 === 1 ? half : 0));
      const repeated = prk
        .slice(0, -1)
        .flatMap((t) => [t, t])
        .slice(1, -1);
      this.prkTimesteps = repeated.reverse();
      this.schedule = [...this.prkTimesteps, ...base.slice(0, -3).reverse()];
    }
    this.ets = [];
    this.counter = 0;
    this.curModelOutput = null;
    this.curSample = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    void options;
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    if (this.counter < this.prkTimesteps.length && !this.config.bool("skip_prk_steps")) {
      return this.stepPrk(modelOutput, t, sample);
    }
    return this.stepPlms(modelOutput, t, sample);
  }

  private get stride(): number {
    return Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
  }

  private stepPrk(modelOutput: Float32Array, t: number, sample: Float32Array): StepResult {
    const diffToPrev = this.counter % 2 ? 0 : Math.floor(this.stride / 2);
    const prevT = t - diffToPrev;
    const timestep = this.prkTimesteps[Math.floor(this.counter / 4) * 4];
    const acc = this.curModelOutput ?? new Float32Array(modelOutput.length);
    let eps = modelOutput;
    const phase = this.counter % 4;
    if (phase === 0) {
      this.curModelOutput = acc.map((x, i) => f(x + f(f(1 / 6) * modelOutput[i])));
      this.ets.push(modelOutput);
      this.curSample = sample;
    } else if (phase === 1 || phase === 2) {
      this.curModelOutput = acc.map((x, i) => f(x + f(f(1 / 3) * modelOutput[i])));
    } else {
      eps = acc.map((x, i) => f(x + f(f(1 / 6) * modelOutput[i])));
      this.curModelOutput = null;
    }
    const base = this.curSample ?? sample;
    const prev = this.prevSample(base, timestep, prevT, eps);
    this.counter++;
    return { prevSample: prev };
  }

  private stepPlms(modelOutput: Float32Array, t: number, sample: Float32Array): StepResult {
    let timestep = t;
    let prevT = t - this.stride;
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3);
      this.ets.push(modelOutput);
    } else {
      prevT = t;
      timestep = t + this.stride;
    }
    const e = this.ets;
    const n = e.length;
    let eps: Float32Array;
    let base = sample;
    if (n === 1 && this.counter === 0) {
      eps = modelOutput;
      this.curSample = sample;
    } else if (n === 1 && this.counter === 1) {
      eps = modelOutput.map((m, i) => f(f(m + e[0][i]) / 2));
      base = this.curSample as Float32Array;
      this.curSample = null;
    } else if (n === 2) {
      eps = e[1].map((x, i) => f(f(f(3 * x) - e[0][i]) / 2));
    } else if (n === 3) {
      eps = e[2].map((x, i) => f(f(f(f(23 * x) - f(16 * e[1][i])) + f(5 * e[0][i])) / 12));
    } else {
      eps = e[3].map((x, i) => f(f(1 / 24) * f(f(f(f(55 * x) - f(59 * e[2][i])) + f(37 * e[1][i])) - f(9 * e[0][i]))));
    }
    const prev = this.prevSample(base, timestep, prevT, eps);
    this.counter++;
    return { prevSample: prev };
  }

  // Formula (9) of the PNDM paper: x_{t−δ} = √(ᾱ_prev/ᾱ)·x − (ᾱ_prev − ᾱ)·ε / (ᾱ√(1−ᾱ_prev) + √(ᾱ(1−ᾱ)ᾱ_prev)).
  private prevSample(sample: Float32Array, t: number, prevT: number, modelOutput: Float32Array): Float32Array {
    const alphaProd = this.alphaAt(t);
    const alphaPrev = this.alphaOrFinal(prevT, this.finalAlphaCumprod);
    const betaProd = f(1 - alphaProd);
    const betaPrev = f(1 - alphaPrev);
    let eps = modelOutput;
    if (this.config.str("prediction_type") === "v_prediction") {
      const sa = f(Math.sqrt(alphaProd));
      const sb = f(Math.sqrt(betaProd));
      eps = modelOutput.map((m, i) => f(f(sa * m) + f(sb * sample[i])));
    }
    const sampleCoeff = f(Math.sqrt(f(alphaPrev / alphaProd)));
    const denom = f(f(alphaProd * f(Math.sqrt(betaPrev))) + f(Math.sqrt(f(f(alphaProd * betaProd) * alphaPrev))));
    const diff = f(alphaPrev - alphaProd);
    return sample.map((s, i) => f(f(sampleCoeff * s) - f(f(diff * eps[i]) / denom)));
  }
}
