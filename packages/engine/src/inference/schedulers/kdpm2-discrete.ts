/**
 * DPM-Solver-2 in k-diffusion form (`sample_dpm_2`, `sample_dpm_2_ancestral`): diffusers'
 * `KDPM2DiscreteScheduler` and `KDPM2AncestralDiscreteScheduler`. Each step evaluates the model at σ_i and at
 * the log-midpoint between σ_i and the target, so the run interleaves real and interpolated timesteps.
 */
import { roundHalfEven } from "./numpy-compat.js";
import { drawNoise, type SetTimestepsOptions, type StepOptions, type StepResult } from "./scheduler.js";
import type { SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { SIGMA_SCHEDULER_DEFAULTS, SigmaScheduler } from "./sigma-scheduler.js";
import { sigmaToT } from "./sigma-schedules.js";

const f = Math.fround;

/** `KDPM2DiscreteScheduler` / `KDPM2AncestralDiscreteScheduler` defaults. */
export const KDPM2_DEFAULTS: SchedulerDefaults = {
  ...SIGMA_SCHEDULER_DEFAULTS,
  beta_start: 0.00085,
  beta_end: 0.012,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
};

// torch.lerp(a, b, 0.5) takes its `b - (b - a)·(1 − w)` branch at w = 0.5; then exp, all in float32.
function logMidpoint(a: number, b: number): number {
  const la = f(Math.log(a));
  const lb = f(Math.log(b));
  return f(Math.exp(f(lb - f(f(lb - la) * 0.5))));
}

// σ0, every later entry twice, and the last once more: the 2N+2 layout both classes index into.
function expand(values: ArrayLike<number>): Float32Array {
  const out = [values[0]];
  for (let i = 1; i < values.length; i++) out.push(values[i], values[i]);
  out.push(values[values.length - 1]);
  return Float32Array.from(out);
}

abstract class Kdpm2Base extends SigmaScheduler {
  protected sigmasInterpol: Float32Array = new Float32Array(0);
  protected savedSample: Float32Array | null = null;

  override get order(): number {
    return 2;
  }

  protected get firstOrder(): boolean {
    return this.savedSample === null;
  }

  protected baseSigmas(n: number): { timesteps: number[]; sigmas: Float32Array } {
    const { timesteps, sigmas, karras } = this.baseSchedule(n);
    return {
      timesteps: (karras ? timesteps.map(roundHalfEven) : timesteps).map(f),
      sigmas: Float32Array.from([...sigmas, 0]),
    };
  }

  protected override inputSigma(index: number): number {
    return this.firstOrder ? this.sigmaAt(index) : this.sigmasInterpol[index];
  }

  protected checkPrediction(): void {
    if (this.config.str("prediction_type") === "sample") {
      throw new SchedulerConfigError(this.className, "prediction_type", "sample prediction is not supported", "sample");
    }
  }
}

/** KDPM2: the midpoint evaluation between σ_i and σ_{i+1}. */
export class KDPM2DiscreteScheduler extends Kdpm2Base {
  readonly className = "KDPM2DiscreteScheduler";

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const { timesteps, sigmas } = this.baseSigmas(n);
    // interpol[k] = √(σ_k σ_{k−1}) in log space; interpol[0] (NaN in diffusers) is never read.
    const interpol = Array.from(sigmas, (s, k) => (k === 0 ? Number.NaN : logMidpoint(s, sigmas[k - 1])));
    this.sigmaValues = expand(sigmas);
    this.sigmasInterpol = expand(interpol);
    const tInterpol = interpol.map((s) => f(sigmaToT(s, this.logSigmas)));
    const run = [timesteps[0]];
    for (let k = 1; k < timesteps.length; k++) run.push(tInterpol[k], timesteps[k]);
    this.schedule = run;
    this.savedSample = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    void options;
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    this.checkPrediction();
    const i = this.initStepIndex(t);
    let prev: Float32Array;
    let pred: Float32Array;
    if (this.firstOrder) {
      const sigma = this.sigmaAt(i);
      const sigmaInterpol = this.sigmasInterpol[i + 1];
      pred = this.predictOriginal(modelOutput, sample, sigma);
      const dt = f(sigmaInterpol - sigma);
      prev = sample.map((s, k) => f(s + f(f(f(s - pred[k]) / sigma) * dt)));
      this.savedSample = sample;
    } else {
      const sigma = this.sigmaAt(i - 1);
      const sigmaInterpol = this.sigmasInterpol[i];
      const sigmaNext = this.sigmaAt(i);
      pred = this.predictOriginal(modelOutput, sample, sigmaInterpol);
      const dt = f(sigmaNext - sigma);
      const base = this.savedSample as Float32Array;
      prev = base.map((s, k) => f(s + f(f(f(sample[k] - pred[k]) / sigmaInterpol) * dt)));
      this.savedSample = null;
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: pred };
  }
}

/** KDPM2 ancestral: the second evaluation steps to σ_down, then adds noise of scale σ_up. */
export class KDPM2AncestralDiscreteScheduler extends Kdpm2Base {
  readonly className = "KDPM2AncestralDiscreteScheduler";
  private sigmasUp: Float32Array = new Float32Array(0);
  private sigmasDown: Float32Array = new Float32Array(0);

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const { timesteps, sigmas } = this.baseSigmas(n);
    const len = sigmas.length;
    const up = new Float32Array(len);
    const down = new Float32Array(len);
    for (let k = 0; k < len; k++) {
      const s2 = f(sigmas[k] * sigmas[k]);
      const next = k + 1 < len ? sigmas[k + 1] : 0;
      const n2 = f(next * next);
      up[k] = f(Math.sqrt(f(f(n2 * f(s2 - n2)) / s2)));
      down[k] = f(Math.sqrt(f(n2 - f(up[k] * up[k]))));
    }
    down[len - 1] = 0;
    const interpol = Array.from(sigmas, (s, k) => logMidpoint(s, down[k]));
    interpol[len - 1] = 0;
    interpol[len - 2] = 0;
    this.sigmaValues = expand(sigmas);
    this.sigmasInterpol = expand(interpol);
    this.sigmasUp = expand(up);
    this.sigmasDown = expand(down);
    const tInterpol = interpol.map((s) => f(sigmaToT(s, this.logSigmas)));
    const run = [timesteps[0]];
    for (let k = 1; k < timesteps.length; k++) run.push(tInterpol[k - 1], timesteps[k]);
    this.schedule = run;
    this.savedSample = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    this.checkPrediction();
    const i = this.initStepIndex(t);
    // diffusers draws the noise on every call, also on the first-order half where it is unused.
    const noise = drawNoise(options.generator, sample.length, this.className);
    let prev: Float32Array;
    let pred: Float32Array;
    if (this.firstOrder) {
      const sigma = this.sigmaAt(i);
      const sigmaInterpol = this.sigmasInterpol[i];
      pred = this.predictOriginal(modelOutput, sample, sigma);
      const dt = f(sigmaInterpol - sigma);
      prev = sample.map((s, k) => f(s + f(f(f(s - pred[k]) / sigma) * dt)));
      this.savedSample = sample;
    } else {
      const sigma = this.sigmaAt(i - 1);
      const sigmaInterpol = this.sigmasInterpol[i - 1];
      const sigmaUp = this.sigmasUp[i - 1];
      const sigmaDown = this.sigmasDown[i - 1];
      pred = this.predictOriginal(modelOutput, sample, sigmaInterpol);
      const dt = f(sigmaDown - sigma);
      const base = this.savedSample as Float32Array;
      prev = base.map((s, k) => f(f(s + f(f(f(sample[k] - pred[k]) / sigmaInterpol) * dt)) + f(noise[k] * sigmaUp)));
      this.savedSample = null;
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: pred };
  }

  protected override inputSigma(index: number): number {
    return this.firstOrder ? this.sigmaAt(index) : this.sigmasInterpol[index - 1];
  }
}
