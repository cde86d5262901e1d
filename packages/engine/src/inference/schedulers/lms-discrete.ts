/** Linear multistep in sigma space (k-diffusion's `sample_lms`): diffusers' `LMSDiscreteScheduler`. */
import type { SetTimestepsOptions, StepOptions, StepResult } from "./scheduler.js";
import type { SchedulerDefaults } from "./scheduler-config.js";
import { SIGMA_SCHEDULER_DEFAULTS, SigmaScheduler } from "./sigma-scheduler.js";

const f = Math.fround;
const LMS_ORDER = 4;

/** `LMSDiscreteScheduler.__init__` defaults. */
export const LMS_DEFAULTS: SchedulerDefaults = {
  ...SIGMA_SCHEDULER_DEFAULTS,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
};

// 5-point Gauss–Legendre integrates the (≤ cubic) Lagrange basis polynomials exactly.
const GL_NODES = [0, -0.5384693101056831, 0.5384693101056831, -0.906179845938664, 0.906179845938664];
const GL_WEIGHTS = [
  0.5688888888888889, 0.47862867049936647, 0.47862867049936647, 0.23692688505618908, 0.23692688505618908,
];

/** Adams–Bashforth over the last (up to 4) derivatives, with coefficients integrated over [σ_i, σ_{i+1}]. */
export class LMSDiscreteScheduler extends SigmaScheduler {
  readonly className = "LMSDiscreteScheduler";
  private derivatives: Float32Array[] = [];

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const { timesteps, sigmas } = this.baseSchedule(n);
    this.sigmaValues = Float32Array.from([...sigmas, 0]);
    this.schedule = timesteps.map(f);
    this.derivatives = [];
  }

  /** ∫_{σ_t}^{σ_{t+1}} of the Lagrange basis polynomial of `current` over the nodes σ_t … σ_{t−order+1}. */
  lmsCoefficient(order: number, t: number, current: number): number {
    const sigma = (k: number) => this.sigmaAt(k);
    const basis = (tau: number) => {
      let prod = 1;
      for (let k = 0; k < order; k++) {
        if (k === current) continue;
        prod *= (tau - sigma(t - k)) / (sigma(t - current) - sigma(t - k));
      }
      return prod;
    };
    const a = sigma(t);
    const b = sigma(t + 1);
    const half = (b - a) / 2;
    const mid = (a + b) / 2;
    let sum = 0;
    for (let j = 0; j < GL_NODES.length; j++) sum += GL_WEIGHTS[j] * basis(mid + half * GL_NODES[j]);
    return sum * half;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    void options;
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t);
    const sigma = this.sigmaAt(i);
    const pred = this.predictOriginal(modelOutput, sample, sigma);
    this.derivatives.push(sample.map((s, k) => f(f(s - pred[k]) / sigma)));
    if (this.derivatives.length > LMS_ORDER) this.derivatives.shift();
    const order = Math.min(i + 1, LMS_ORDER);
    const coeffs = Array.from({ length: order }, (_, c) => this.lmsCoefficient(order, i, c));
    const recent = [...this.derivatives].reverse();
    const prev = sample.map((s, k) => {
      let acc = 0;
      for (let c = 0; c < order; c++) acc += f(coeffs[c] * recent[c][k]);
      return f(s + acc);
    });
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: pred };
  }
}
