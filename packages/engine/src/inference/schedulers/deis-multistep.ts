/**
 * DEIS multistep (Zhang & Chen 2022), log-ρ polynomial extrapolation of ε: diffusers' `DEISMultistepScheduler`.
 */
import type { SetTimestepsOptions, StepOptions, StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { DpmFamilyScheduler, alphaSigmaOf, lambdaOf } from "./dpm-family.js";
import { TIMESTEP_SPACINGS, multistepTimesteps } from "./timestep-spacing.js";

const f = Math.fround;

/** `DEISMultistepScheduler.__init__` defaults. */
export const DEIS_DEFAULTS: SchedulerDefaults = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  trained_betas: null,
  solver_order: 2,
  prediction_type: "epsilon",
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  sample_max_value: 1.0,
  algorithm_type: "deis",
  solver_type: "logrho",
  lower_order_final: true,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  use_flow_sigmas: false,
  flow_shift: 1.0,
  timestep_spacing: "linspace",
  steps_offset: 0,
  use_dynamic_shifting: false,
  time_shift_type: "exponential",
};

// ∫ (log t − log c)/(log b − log c) dt, the antiderivative of DEIS's 2nd-order Lagrange basis in ρ.
function ind2(t: number, b: number, c: number): number {
  return (t * (-Math.log(c) + Math.log(t) - 1)) / (Math.log(b) - Math.log(c));
}

// ∫ (log t − log c)(log t − log d) / ((log b − log c)(log b − log d)) dt.
function ind3(t: number, b: number, c: number, d: number): number {
  const [lt, lb, lc, ld] = [Math.log(t), Math.log(b), Math.log(c), Math.log(d)];
  const numerator = t * (lc * (ld - lt + 1) - ld * lt + ld + lt * lt - 2 * lt + 2);
  return numerator / ((lb - lc) * (lb - ld));
}

/** The DEIS solver (orders 1–3). */
export class DEISMultistepScheduler extends DpmFamilyScheduler {
  readonly className = "DEISMultistepScheduler";
  private readonly solverOrder: number;
  private modelOutputs: (Float32Array | null)[] = [];
  private lowerOrderNums = 0;

  constructor(config: SchedulerConfig) {
    super(config);
    // diffusers maps the DPM-Solver names onto DEIS's own rather than failing.
    if (["dpmsolver", "dpmsolver++"].includes(config.str("algorithm_type"))) config.patch("algorithm_type", "deis");
    if (["midpoint", "heun", "bh1", "bh2"].includes(config.str("solver_type"))) config.patch("solver_type", "logrho");
    config.str("algorithm_type", ["deis"]);
    config.str("timestep_spacing", TIMESTEP_SPACINGS);
    this.solverOrder = config.int("solver_order");
    if (this.solverOrder < 1 || this.solverOrder > 3) {
      throw new SchedulerConfigError(this.className, "solver_order", "must be 1, 2 or 3", this.solverOrder);
    }
  }

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const N = this.numTrainTimesteps;
    const spacing = this.config.str("timestep_spacing", TIMESTEP_SPACINGS);
    const spaced = multistepTimesteps(spacing, N, N, n, this.config.int("steps_offset"));
    const { timesteps, sigmas } = this.rampSchedule(spaced, n, (ramp) =>
      ramp !== null ? ramp[ramp.length - 1] : this.trainSigmaMin,
    );
    this.schedule = timesteps;
    this.sigmaValues = sigmas;
    this.modelOutputs = Array.from({ length: this.solverOrder }, () => null);
    this.lowerOrderNums = 0;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    void options;
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t, "last");
    const steps = this.schedule.length;
    const lowerFinal = i === steps - 1 && this.config.bool("lower_order_final") && steps < 15;
    const lowerSecond = i === steps - 2 && this.config.bool("lower_order_final") && steps < 15;
    // DEIS works on ε recomputed from the x0 prediction.
    const sigma = this.sigmaAt(i);
    const [alpha, sigmaT] = alphaSigmaOf(sigma);
    const x0 = this.toDataPrediction(modelOutput, sample, sigma);
    const eps = sample.map((s, k) => f(f(s - f(alpha * x0[k])) / sigmaT));
    this.modelOutputs.shift();
    this.modelOutputs.push(eps);
    let prev: Float32Array;
    if (this.solverOrder === 1 || this.lowerOrderNums < 1 || lowerFinal) prev = this.firstOrder(sample, i);
    else if (this.solverOrder === 2 || this.lowerOrderNums < 2 || lowerSecond) prev = this.secondOrder(sample, i);
    else prev = this.thirdOrder(sample, i);
    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums++;
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: x0 };
  }

  private output(back: number): Float32Array {
    return this.modelOutputs[this.modelOutputs.length - 1 - back] as Float32Array;
  }

  private firstOrder(x: Float32Array, i: number): Float32Array {
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmaAt(i + 1));
    const [alphaS, sigmaS] = alphaSigmaOf(this.sigmaAt(i));
    const h = f(lambdaOf(alphaT, sigmaT) - lambdaOf(alphaS, sigmaS));
    const a = f(alphaT / alphaS);
    const b = f(sigmaT * f(f(Math.exp(h)) - 1));
    const m = this.output(0);
    return x.map((s, k) => f(f(a * s) - f(b * m[k])));
  }

  private rho(index: number): { alpha: number; rho: number } {
    const [alpha, sigmaT] = alphaSigmaOf(this.sigmaAt(index));
    return { alpha, rho: f(sigmaT / alpha) };
  }

  private secondOrder(x: Float32Array, i: number): Float32Array {
    const t = this.rho(i + 1);
    const s0 = this.rho(i);
    const s1 = this.rho(i - 1);
    const c1 = ind2(t.rho, s0.rho, s1.rho) - ind2(s0.rho, s0.rho, s1.rho);
    const c2 = ind2(t.rho, s1.rho, s0.rho) - ind2(s0.rho, s1.rho, s0.rho);
    const [m0, m1] = [this.output(0), this.output(1)];
    return x.map((s, k) => f(t.alpha * (s / s0.alpha + c1 * m0[k] + c2 * m1[k])));
  }

  private thirdOrder(x: Float32Array, i: number): Float32Array {
    const t = this.rho(i + 1);
    const s0 = this.rho(i);
    const s1 = this.rho(i - 1);
    const s2 = this.rho(i - 2);
    const c1 = ind3(t.rho, s0.rho, s1.rho, s2.rho) - ind3(s0.rho, s0.rho, s1.rho, s2.rho);
    const c2 = ind3(t.rho, s1.rho, s2.rho, s0.rho) - ind3(s0.rho, s1.rho, s2.rho, s0.rho);
    const c3 = ind3(t.rho, s2.rho, s0.rho, s1.rho) - ind3(s0.rho, s2.rho, s0.rho, s1.rho);
    const [m0, m1, m2] = [this.output(0), this.output(1), this.output(2)];
    return x.map((s, k) => f(t.alpha * (s / s0.alpha + c1 * m0[k] + c2 * m1[k] + c3 * m2[k])));
  }
}
