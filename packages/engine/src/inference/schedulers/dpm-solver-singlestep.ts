/**
 * DPM-Solver / DPM-Solver++ singlestep (Lu et al. 2022): diffusers' `DPMSolverSinglestepScheduler` (InvokeAI's
 * dpmpp_2s). Steps are grouped by an order list (1, 2, 1, 2, …): a group restarts from the sample at its start.
 */
import { drawNoise, type SetTimestepsOptions, type StepOptions, type StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { DpmFamilyScheduler, alphaSigmaOf, lambdaOf } from "./dpm-family.js";
import { npLinspace, roundHalfEven } from "./numpy-compat.js";

const f = Math.fround;
const ALGORITHMS = ["dpmsolver", "dpmsolver++", "sde-dpmsolver++"] as const;

/** `DPMSolverSinglestepScheduler.__init__` defaults. */
export const DPM_SINGLESTEP_DEFAULTS: SchedulerDefaults = {
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
  algorithm_type: "dpmsolver++",
  solver_type: "midpoint",
  lower_order_final: true,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  use_flow_sigmas: false,
  flow_shift: 1.0,
  final_sigmas_type: "zero",
  lambda_min_clipped: Number.NEGATIVE_INFINITY,
  variance_type: null,
  use_dynamic_shifting: false,
  time_shift_type: "exponential",
};

/** The order of each step for `steps` steps (diffusers' `get_order_list`). */
export function singlestepOrderList(
  steps: number,
  order: number,
  lowerOrderFinal: boolean,
  finalZero: boolean,
): number[] {
  const repeat = (pattern: number[], times: number) => Array.from({ length: Math.max(0, times) }, () => pattern).flat();
  let orders: number[];
  if (lowerOrderFinal) {
    if (order === 3) {
      if (steps % 3 === 0) orders = [...repeat([1, 2, 3], steps / 3 - 1), 1, 2, 1];
      else if (steps % 3 === 1) orders = [...repeat([1, 2, 3], Math.floor(steps / 3)), 1];
      else orders = [...repeat([1, 2, 3], Math.floor(steps / 3)), 1, 2];
    } else if (order === 2) {
      orders =
        steps % 2 === 0 ? [...repeat([1, 2], steps / 2 - 1), 1, 1] : [...repeat([1, 2], Math.floor(steps / 2)), 1];
    } else orders = repeat([1], steps);
  } else if (order === 3) orders = repeat([1, 2, 3], Math.floor(steps / 3));
  else if (order === 2) orders = repeat([1, 2], Math.floor(steps / 2));
  else orders = repeat([1], steps);
  if (finalZero && orders.length > 0) orders[orders.length - 1] = 1;
  return orders;
}

/** The singlestep solver. */
export class DPMSolverSinglestepScheduler extends DpmFamilyScheduler {
  readonly className = "DPMSolverSinglestepScheduler";
  private readonly algorithm: (typeof ALGORITHMS)[number];
  private readonly solverOrder: number;
  private modelOutputs: (Float32Array | null)[] = [];
  private groupSample: Float32Array | null = null;
  private orderList: number[] = [];

  constructor(config: SchedulerConfig) {
    super(config);
    if (config.str("algorithm_type") === "deis") config.patch("algorithm_type", "dpmsolver++");
    if (["logrho", "bh1", "bh2"].includes(config.str("solver_type"))) config.patch("solver_type", "midpoint");
    this.algorithm = config.str("algorithm_type", ALGORITHMS);
    config.str("solver_type", ["midpoint", "heun"]);
    config.str("final_sigmas_type", ["zero", "sigma_min"]);
    this.solverOrder = config.int("solver_order");
    if (this.solverOrder < 1 || this.solverOrder > 3) {
      throw new SchedulerConfigError(this.className, "solver_order", "must be 1, 2 or 3", this.solverOrder);
    }
    if (this.solverOrder === 3 && this.algorithm === "sde-dpmsolver++") {
      throw new SchedulerConfigError(
        this.className,
        "solver_order",
        "third order is not defined for the SDE variant",
        3,
      );
    }
    if (config.values.variance_type !== null) {
      throw new SchedulerConfigError(
        this.className,
        "variance_type",
        "learned variance is not supported",
        config.values.variance_type,
      );
    }
  }

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const N = this.numTrainTimesteps;
    const minLambda = this.config.num("lambda_min_clipped");
    let clipped = 0;
    for (let t = N - 1; t >= 0; t--) {
      const a = this.alphasCumprod[t];
      if (lambdaOf(f(Math.sqrt(a)), f(Math.sqrt(f(1 - a)))) < minLambda) clipped++;
      else break;
    }
    const spaced = npLinspace(0, N - 1 - clipped, n + 1)
      .map(roundHalfEven)
      .reverse()
      .slice(0, n);
    const zero = this.config.str("final_sigmas_type") === "zero";
    const { timesteps, sigmas } = this.rampSchedule(spaced, n, () => (zero ? 0 : this.trainSigmaMin));
    this.schedule = timesteps;
    this.sigmaValues = sigmas;
    this.modelOutputs = Array.from({ length: this.solverOrder }, () => null);
    this.groupSample = null;
    // diffusers forces lower_order_final on when the order does not divide the steps or the last sigma is 0.
    const lowerOrderFinal = this.config.bool("lower_order_final") || n % this.solverOrder !== 0 || zero;
    this.orderList = singlestepOrderList(n, this.solverOrder, lowerOrderFinal, zero);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t, "last");
    const converted = this.algorithm.endsWith("++")
      ? this.toDataPrediction(modelOutput, sample, this.sigmaAt(i))
      : this.toNoisePrediction(modelOutput, sample, this.sigmaAt(i));
    this.modelOutputs.shift();
    this.modelOutputs.push(converted);
    const noise =
      this.algorithm === "sde-dpmsolver++" ? drawNoise(options.generator, sample.length, this.className) : null;
    let order = this.orderList[i] ?? 1;
    // img2img can start mid-group: fall back to the orders the stored outputs allow.
    while (this.modelOutputs[this.modelOutputs.length - order] === null) order--;
    if (order === 1) this.groupSample = sample;
    const x = this.groupSample as Float32Array;
    const prev =
      order === 1 ? this.firstOrder(x, noise, i) : order === 2 ? this.secondOrder(x, noise, i) : this.thirdOrder(x, i);
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: this.algorithm.endsWith("++") ? converted : undefined };
  }

  private at(index: number) {
    const [alpha, sigma] = alphaSigmaOf(this.sigmaAt(index));
    return { alpha, sigma, lambda: lambdaOf(alpha, sigma) };
  }

  private output(back: number): Float32Array {
    return this.modelOutputs[this.modelOutputs.length - 1 - back] as Float32Array;
  }

  private firstOrder(x: Float32Array, noise: Float32Array | null, i: number): Float32Array {
    const tgt = this.at(i + 1);
    const src = this.at(i);
    const h = f(tgt.lambda - src.lambda);
    const m = this.output(0);
    if (this.algorithm === "dpmsolver++") {
      const a = f(tgt.sigma / src.sigma);
      const b = f(tgt.alpha * f(f(Math.exp(-h)) - 1));
      return x.map((s, k) => f(f(a * s) - f(b * m[k])));
    }
    if (this.algorithm === "dpmsolver") {
      const a = f(tgt.alpha / src.alpha);
      const b = f(tgt.sigma * f(f(Math.exp(h)) - 1));
      return x.map((s, k) => f(f(a * s) - f(b * m[k])));
    }
    const e2 = f(Math.exp(f(-2 * h)));
    const a = f(f(tgt.sigma / src.sigma) * f(Math.exp(-h)));
    const b = f(tgt.alpha * f(1 - e2));
    const c = f(tgt.sigma * f(Math.sqrt(f(1 - e2))));
    const z = noise as Float32Array;
    return x.map((s, k) => f(f(f(a * s) + f(b * m[k])) + f(c * z[k])));
  }

  // From the group start s1 (one output back) over s0 to the target: D0 = m1, D1 = (m0 − m1)/r0.
  private secondOrder(x: Float32Array, noise: Float32Array | null, i: number): Float32Array {
    const tgt = this.at(i + 1);
    const s0 = this.at(i);
    const s1 = this.at(i - 1);
    const m0 = this.output(0);
    const m1 = this.output(1);
    const h = f(tgt.lambda - s1.lambda);
    const r0 = f(f(s0.lambda - s1.lambda) / h);
    const d1 = m0.map((v, k) => f(f(1 / r0) * f(v - m1[k])));
    const heun = this.config.str("solver_type") === "heun";
    const emh = f(Math.exp(-h));
    const eh = f(Math.exp(h));
    if (this.algorithm === "dpmsolver++") {
      const a = f(tgt.sigma / s1.sigma);
      const b = f(tgt.alpha * f(emh - 1));
      const c = heun ? -f(tgt.alpha * f(f(f(emh - 1) / h) + 1)) : f(0.5 * b);
      return x.map((s, k) => f(f(f(a * s) - f(b * m1[k])) - f(c * d1[k])));
    }
    if (this.algorithm === "dpmsolver") {
      const a = f(tgt.alpha / s1.alpha);
      const b = f(tgt.sigma * f(eh - 1));
      const c = heun ? f(tgt.sigma * f(f(f(eh - 1) / h) - 1)) : f(0.5 * b);
      return x.map((s, k) => f(f(f(a * s) - f(b * m1[k])) - f(c * d1[k])));
    }
    const e2 = f(Math.exp(f(-2 * h)));
    const a = f(f(tgt.sigma / s1.sigma) * emh);
    const b = f(tgt.alpha * f(1 - e2));
    const c = heun ? f(tgt.alpha * f(f(f(1 - e2) / f(-2 * h)) + 1)) : f(0.5 * b);
    const n = f(tgt.sigma * f(Math.sqrt(f(1 - e2))));
    const z = noise as Float32Array;
    return x.map((s, k) => f(f(f(f(a * s) + f(b * m1[k])) + f(c * d1[k])) + f(n * z[k])));
  }

  private thirdOrder(x: Float32Array, i: number): Float32Array {
    const tgt = this.at(i + 1);
    const s0 = this.at(i);
    const s1 = this.at(i - 1);
    const s2 = this.at(i - 2);
    const [m0, m1, m2] = [this.output(0), this.output(1), this.output(2)];
    const h = f(tgt.lambda - s2.lambda);
    const r0 = f(f(s0.lambda - s2.lambda) / h);
    const r1 = f(f(s1.lambda - s2.lambda) / h);
    const d10 = m1.map((v, k) => f(f(1 / r1) * f(v - m2[k])));
    const d11 = m0.map((v, k) => f(f(1 / r0) * f(v - m2[k])));
    const d1 = d10.map((v, k) => f(f(f(r0 * v) - f(r1 * d11[k])) / f(r0 - r1)));
    const d2 = d10.map((v, k) => f(f(2 * f(d11[k] - v)) / f(r0 - r1)));
    const heun = this.config.str("solver_type") === "heun";
    if (this.algorithm === "dpmsolver++") {
      const emh = f(Math.exp(-h));
      const a = f(tgt.sigma / s2.sigma);
      const b = f(tgt.alpha * f(emh - 1));
      const c = f(tgt.alpha * f(f(f(emh - 1) / h) + 1));
      if (!heun) return x.map((s, k) => f(f(f(a * s) - f(b * m2[k])) + f(c * d11[k])));
      const d = f(tgt.alpha * f(f(f(f(emh - 1) + h) / f(h * h)) - 0.5));
      return x.map((s, k) => f(f(f(f(a * s) - f(b * m2[k])) + f(c * d1[k])) - f(d * d2[k])));
    }
    const eh = f(Math.exp(h));
    const a = f(tgt.alpha / s2.alpha);
    const b = f(tgt.sigma * f(eh - 1));
    const c = f(tgt.sigma * f(f(f(eh - 1) / h) - 1));
    if (!heun) return x.map((s, k) => f(f(f(a * s) - f(b * m2[k])) - f(c * d11[k])));
    const d = f(tgt.sigma * f(f(f(f(eh - 1) - h) / f(h * h)) - 0.5));
    return x.map((s, k) => f(f(f(f(a * s) - f(b * m2[k])) - f(c * d1[k])) - f(d * d2[k])));
  }
}
