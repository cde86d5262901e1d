/**
 * DPM-Solver / DPM-Solver++ multistep (Lu et al. 2022), orders 1–3, ODE and SDE variants: diffusers'
 * `DPMSolverMultistepScheduler` (InvokeAI's dpmpp_2m, dpmpp_2m_sde, dpmpp_3m and their Karras forms).
 */
import { drawNoise, type SetTimestepsOptions, type StepOptions, type StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { DpmFamilyScheduler, alphaSigmaOf, lambdaOf } from "./dpm-family.js";
import { TIMESTEP_SPACINGS, multistepTimesteps } from "./timestep-spacing.js";

const f = Math.fround;
const ALGORITHMS = ["dpmsolver", "dpmsolver++", "sde-dpmsolver", "sde-dpmsolver++"] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** `DPMSolverMultistepScheduler.__init__` defaults. */
export const DPM_MULTISTEP_DEFAULTS: SchedulerDefaults = {
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
  euler_at_final: false,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  use_lu_lambdas: false,
  use_flow_sigmas: false,
  flow_shift: 1.0,
  final_sigmas_type: "zero",
  lambda_min_clipped: Number.NEGATIVE_INFINITY,
  variance_type: null,
  timestep_spacing: "linspace",
  steps_offset: 0,
  rescale_betas_zero_snr: false,
  use_dynamic_shifting: false,
  time_shift_type: "exponential",
};

/** The multistep solver. */
export class DPMSolverMultistepScheduler extends DpmFamilyScheduler {
  readonly className = "DPMSolverMultistepScheduler";
  private readonly algorithm: Algorithm;
  private readonly solverOrder: number;
  private modelOutputs: (Float32Array | null)[] = [];
  private lowerOrderNums = 0;

  constructor(config: SchedulerConfig) {
    super(config);
    // diffusers maps the DEIS and UniPC names onto its own (register_to_config) rather than failing.
    if (config.str("algorithm_type") === "deis") config.patch("algorithm_type", "dpmsolver++");
    if (["logrho", "bh1", "bh2"].includes(config.str("solver_type"))) config.patch("solver_type", "midpoint");
    this.algorithm = config.str("algorithm_type", ALGORITHMS);
    config.str("solver_type", ["midpoint", "heun"]);
    config.str("final_sigmas_type", ["zero", "sigma_min"]);
    config.str("timestep_spacing", TIMESTEP_SPACINGS);
    this.solverOrder = config.int("solver_order");
    if (this.solverOrder < 1 || this.solverOrder > 3) {
      throw new SchedulerConfigError(this.className, "solver_order", "must be 1, 2 or 3", this.solverOrder);
    }
    if (this.solverOrder === 3 && this.algorithm.startsWith("sde")) {
      throw new SchedulerConfigError(
        this.className,
        "solver_order",
        "third order is not defined for the SDE variants",
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
    if (config.bool("use_dynamic_shifting")) {
      throw new SchedulerConfigError(this.className, "use_dynamic_shifting", "is not supported", true);
    }
  }

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const N = this.numTrainTimesteps;
    // Clip λ from below: the first index of the ascending (flipped) λ table that reaches lambda_min_clipped.
    const minLambda = this.config.num("lambda_min_clipped");
    let clipped = 0;
    for (let t = N - 1; t >= 0; t--) {
      const a = this.alphasCumprod[t];
      const lambda = lambdaOf(f(Math.sqrt(a)), f(Math.sqrt(f(1 - a))));
      if (lambda < minLambda) clipped++;
      else break;
    }
    const spacing = this.config.str("timestep_spacing", TIMESTEP_SPACINGS);
    const spaced = multistepTimesteps(spacing, N, N - clipped, n, this.config.int("steps_offset"));
    const zero = this.config.str("final_sigmas_type") === "zero";
    const { timesteps, sigmas } = this.rampSchedule(spaced, n, (ramp) =>
      zero ? 0 : ramp !== null ? ramp[ramp.length - 1] : this.trainSigmaMin,
    );
    this.schedule = timesteps;
    this.sigmaValues = sigmas;
    this.numInferenceSteps = timesteps.length;
    this.modelOutputs = Array.from({ length: this.solverOrder }, () => null);
    this.lowerOrderNums = 0;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t, "last");
    const steps = this.schedule.length;
    const lowerOrderFinal =
      i === steps - 1 &&
      (this.config.bool("euler_at_final") ||
        (this.config.bool("lower_order_final") && steps < 15) ||
        this.config.str("final_sigmas_type") === "zero");
    const lowerOrderSecond = i === steps - 2 && this.config.bool("lower_order_final") && steps < 15;
    const converted = this.algorithm.endsWith("++")
      ? this.toDataPrediction(modelOutput, sample, this.sigmaAt(i))
      : this.toNoisePrediction(modelOutput, sample, this.sigmaAt(i));
    this.modelOutputs.shift();
    this.modelOutputs.push(converted);
    const noise = this.algorithm.startsWith("sde") ? drawNoise(options.generator, sample.length, this.className) : null;
    let prev: Float32Array;
    if (this.solverOrder === 1 || this.lowerOrderNums < 1 || lowerOrderFinal) {
      prev = this.firstOrder(converted, sample, noise, i);
    } else if (this.solverOrder === 2 || this.lowerOrderNums < 2 || lowerOrderSecond) {
      prev = this.secondOrder(sample, noise, i);
    } else {
      prev = this.thirdOrder(sample, i);
    }
    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums++;
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: this.algorithm.endsWith("++") ? converted : undefined };
  }

  private scalars(i: number) {
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmaAt(i + 1));
    const [alphaS0, sigmaS0] = alphaSigmaOf(this.sigmaAt(i));
    const lambdaT = lambdaOf(alphaT, sigmaT);
    const lambdaS0 = lambdaOf(alphaS0, sigmaS0);
    return { alphaT, sigmaT, alphaS0, sigmaS0, lambdaT, lambdaS0, h: f(lambdaT - lambdaS0) };
  }

  private firstOrder(m: Float32Array, x: Float32Array, noise: Float32Array | null, i: number): Float32Array {
    const { alphaT, sigmaT, alphaS0, sigmaS0, h } = this.scalars(i);
    const emh = f(Math.exp(-h));
    const eh = f(Math.exp(h));
    switch (this.algorithm) {
      case "dpmsolver++": {
        const a = f(sigmaT / sigmaS0);
        const b = f(alphaT * f(emh - 1));
        return x.map((s, k) => f(f(a * s) - f(b * m[k])));
      }
      case "dpmsolver": {
        const a = f(alphaT / alphaS0);
        const b = f(sigmaT * f(eh - 1));
        return x.map((s, k) => f(f(a * s) - f(b * m[k])));
      }
      case "sde-dpmsolver++": {
        const e2 = f(Math.exp(f(-2 * h)));
        const a = f(f(sigmaT / sigmaS0) * emh);
        const b = f(alphaT * f(1 - e2));
        const c = f(sigmaT * f(Math.sqrt(f(1 - e2))));
        const z = noise as Float32Array;
        return x.map((s, k) => f(f(f(a * s) + f(b * m[k])) + f(c * z[k])));
      }
      default: {
        const a = f(alphaT / alphaS0);
        const b = f(2 * f(sigmaT * f(eh - 1)));
        const c = f(sigmaT * f(Math.sqrt(f(f(Math.exp(f(2 * h))) - 1))));
        const z = noise as Float32Array;
        return x.map((s, k) => f(f(f(a * s) - f(b * m[k])) + f(c * z[k])));
      }
    }
  }

  private secondOrder(x: Float32Array, noise: Float32Array | null, i: number): Float32Array {
    const { alphaT, sigmaT, alphaS0, sigmaS0, lambdaS0, h } = this.scalars(i);
    const [alphaS1, sigmaS1] = alphaSigmaOf(this.sigmaAt(i - 1));
    const lambdaS1 = lambdaOf(alphaS1, sigmaS1);
    const m0 = this.modelOutputs[this.solverOrder - 1] as Float32Array;
    const m1 = this.modelOutputs[this.solverOrder - 2] as Float32Array;
    const h0 = f(lambdaS0 - lambdaS1);
    const r0 = f(h0 / h);
    const invR0 = f(1 / r0);
    const d1 = m0.map((v, k) => f(invR0 * f(v - m1[k])));
    const heun = this.config.str("solver_type") === "heun";
    const emh = f(Math.exp(-h));
    const eh = f(Math.exp(h));
    const z = noise;
    switch (this.algorithm) {
      case "dpmsolver++": {
        const a = f(sigmaT / sigmaS0);
        const b = f(alphaT * f(emh - 1));
        const c = heun ? -f(alphaT * f(f(f(emh - 1) / h) + 1)) : f(0.5 * b);
        return x.map((s, k) => f(f(f(a * s) - f(b * m0[k])) - f(c * d1[k])));
      }
      case "dpmsolver": {
        const a = f(alphaT / alphaS0);
        const b = f(sigmaT * f(eh - 1));
        const c = heun ? f(sigmaT * f(f(f(eh - 1) / h) - 1)) : f(0.5 * b);
        return x.map((s, k) => f(f(f(a * s) - f(b * m0[k])) - f(c * d1[k])));
      }
      case "sde-dpmsolver++": {
        const e2 = f(Math.exp(f(-2 * h)));
        const a = f(f(sigmaT / sigmaS0) * emh);
        const b = f(alphaT * f(1 - e2));
        const c = heun ? f(alphaT * f(f(f(1 - e2) / f(-2 * h)) + 1)) : f(0.5 * b);
        const n = f(sigmaT * f(Math.sqrt(f(1 - e2))));
        return x.map((s, k) => f(f(f(f(a * s) + f(b * m0[k])) + f(c * d1[k])) + f(n * (z as Float32Array)[k])));
      }
      default: {
        const a = f(alphaT / alphaS0);
        const b = f(2 * f(sigmaT * f(eh - 1)));
        const c = heun ? f(2 * f(sigmaT * f(f(f(eh - 1) / h) - 1))) : f(sigmaT * f(eh - 1));
        const n = f(sigmaT * f(Math.sqrt(f(f(Math.exp(f(2 * h))) - 1))));
        return x.map((s, k) => f(f(f(f(a * s) - f(b * m0[k])) - f(c * d1[k])) + f(n * (z as Float32Array)[k])));
      }
    }
  }

  private thirdOrder(x: Float32Array, i: number): Float32Array {
    const { alphaT, sigmaT, alphaS0, sigmaS0, lambdaS0, h } = this.scalars(i);
    const [alphaS1, sigmaS1] = alphaSigmaOf(this.sigmaAt(i - 1));
    const [alphaS2, sigmaS2] = alphaSigmaOf(this.sigmaAt(i - 2));
    const lambdaS1 = lambdaOf(alphaS1, sigmaS1);
    const lambdaS2 = lambdaOf(alphaS2, sigmaS2);
    const m0 = this.modelOutputs[2] as Float32Array;
    const m1 = this.modelOutputs[1] as Float32Array;
    const m2 = this.modelOutputs[0] as Float32Array;
    const h0 = f(lambdaS0 - lambdaS1);
    const h1 = f(lambdaS1 - lambdaS2);
    const r0 = f(h0 / h);
    const r1 = f(h1 / h);
    const d10 = m0.map((v, k) => f(f(1 / r0) * f(v - m1[k])));
    const d11 = m1.map((v, k) => f(f(1 / r1) * f(v - m2[k])));
    const w = f(r0 / f(r0 + r1));
    const inv = f(1 / f(r0 + r1));
    const d1 = d10.map((v, k) => f(v + f(w * f(v - d11[k]))));
    const d2 = d10.map((v, k) => f(inv * f(v - d11[k])));
    if (this.algorithm === "dpmsolver++") {
      const emh = f(Math.exp(-h));
      const a = f(sigmaT / sigmaS0);
      const b = f(alphaT * f(emh - 1));
      const c = f(alphaT * f(f(f(emh - 1) / h) + 1));
      const d = f(alphaT * f(f(f(f(emh - 1) + h) / f(h * h)) - 0.5));
      return x.map((s, k) => f(f(f(f(a * s) - f(b * m0[k])) + f(c * d1[k])) - f(d * d2[k])));
    }
    const eh = f(Math.exp(h));
    const a = f(alphaT / alphaS0);
    const b = f(sigmaT * f(eh - 1));
    const c = f(sigmaT * f(f(f(eh - 1) / h) - 1));
    const d = f(sigmaT * f(f(f(f(eh - 1) - h) / f(h * h)) - 0.5));
    return x.map((s, k) => f(f(f(f(a * s) - f(b * m0[k])) - f(c * d1[k])) - f(d * d2[k])));
  }
}
