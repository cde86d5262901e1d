/** Heun's 2nd-order method (Karras et al. 2022, Algorithm 1): diffusers' `HeunDiscreteScheduler`. */
import type { SetTimestepsOptions, StepOptions, StepResult } from "./scheduler.js";
import type { SchedulerDefaults } from "./scheduler-config.js";
import { SIGMA_SCHEDULER_DEFAULTS, SigmaScheduler } from "./sigma-scheduler.js";

const f = Math.fround;

/** `HeunDiscreteScheduler.__init__` defaults. */
export const HEUN_DEFAULTS: SchedulerDefaults = {
  ...SIGMA_SCHEDULER_DEFAULTS,
  beta_start: 0.00085,
  beta_end: 0.012,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  clip_sample: false,
  clip_sample_range: 1.0,
};

/** Each step evaluates the model twice: at σ_i (Euler predictor) and at σ_{i+1} (trapezoid corrector). */
export class HeunDiscreteScheduler extends SigmaScheduler {
  readonly className = "HeunDiscreteScheduler";
  private prevDerivative: Float32Array | null = null;
  private savedDt: number | null = null;
  private savedSample: Float32Array | null = null;

  override get order(): number {
    return 2;
  }

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const { timesteps, sigmas } = this.baseSchedule(n);
    const all = Float32Array.from([...sigmas, 0]);
    // σ0, then every later sigma twice (predictor and corrector share it), then the final 0.
    const expanded = [all[0]];
    for (let i = 1; i < all.length - 1; i++) expanded.push(all[i], all[i]);
    expanded.push(all[all.length - 1]);
    this.sigmaValues = Float32Array.from(expanded);
    const ts = timesteps.map(f);
    this.schedule = [ts[0], ...ts.slice(1).flatMap((t) => [t, t])];
    this.prevDerivative = null;
    this.savedDt = null;
    this.savedSample = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    void options;
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t);
    const firstOrder = this.savedDt === null;
    const sigma = firstOrder ? this.sigmaAt(i) : this.sigmaAt(i - 1);
    const sigmaNext = firstOrder ? this.sigmaAt(i + 1) : this.sigmaAt(i);
    const sigmaInput = firstOrder ? sigma : sigmaNext;
    let pred = this.predictOriginal(modelOutput, sample, sigmaInput);
    if (this.config.bool("clip_sample")) {
      const r = this.config.num("clip_sample_range");
      pred = pred.map((x) => Math.min(r, Math.max(-r, x)));
    }
    let prev: Float32Array;
    if (firstOrder) {
      const derivative = sample.map((s, k) => f(f(s - pred[k]) / sigma));
      const dt = f(sigmaNext - sigma);
      this.prevDerivative = derivative;
      this.savedDt = dt;
      this.savedSample = sample;
      prev = sample.map((s, k) => f(s + f(derivative[k] * dt)));
    } else {
      const d1 = this.prevDerivative as Float32Array;
      const base = this.savedSample as Float32Array;
      const dt = this.savedDt as number;
      prev = base.map((s, k) => {
        const d2 = f(f(sample[k] - pred[k]) / sigmaNext);
        return f(s + f(f(f(d1[k] + d2) / 2) * dt));
      });
      this.prevDerivative = null;
      this.savedDt = null;
      this.savedSample = null;
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: pred };
  }
}
