/**
 * UniPC (Zhao et al. 2023), unified predictor–corrector in λ space with B(h) variants bh1/bh2: diffusers'
 * `UniPCMultistepScheduler`. Each step first corrects the previous prediction with the new model output.
 */
import type { SetTimestepsOptions, StepOptions, StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";
import { DpmFamilyScheduler, alphaSigmaOf, lambdaOf } from "./dpm-family.js";
import { TIMESTEP_SPACINGS, multistepTimesteps } from "./timestep-spacing.js";

const f = Math.fround;

/** `UniPCMultistepScheduler.__init__` defaults. */
export const UNIPC_DEFAULTS: SchedulerDefaults = {
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
  predict_x0: true,
  solver_type: "bh2",
  lower_order_final: true,
  disable_corrector: [],
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  use_flow_sigmas: false,
  flow_shift: 1.0,
  timestep_spacing: "linspace",
  steps_offset: 0,
  final_sigmas_type: "zero",
  rescale_betas_zero_snr: false,
  use_dynamic_shifting: false,
  time_shift_type: "exponential",
};

/** Solves the small dense system A·x = b (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = col + 1; r < n; r++) {
      const factor = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= factor * m[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let acc = m[r][n];
    for (let c = r + 1; c < n; c++) acc -= m[r][c] * x[c];
    x[r] = acc / m[r][r];
  }
  return x;
}

/** The UniPC solver. */
export class UniPCMultistepScheduler extends DpmFamilyScheduler {
  readonly className = "UniPCMultistepScheduler";
  private readonly solverOrder: number;
  private readonly predictX0: boolean;
  private modelOutputs: (Float32Array | null)[] = [];
  private lowerOrderNums = 0;
  private lastSample: Float32Array | null = null;
  private thisOrder = 1;

  constructor(config: SchedulerConfig) {
    super(config);
    // diffusers maps the DPM-Solver / DEIS solver names onto bh2 rather than failing.
    if (["midpoint", "heun", "logrho"].includes(config.str("solver_type"))) config.patch("solver_type", "bh2");
    config.str("solver_type", ["bh1", "bh2"]);
    config.str("timestep_spacing", TIMESTEP_SPACINGS);
    config.str("final_sigmas_type", ["zero", "sigma_min"]);
    this.predictX0 = config.bool("predict_x0");
    this.solverOrder = config.int("solver_order");
    if (this.solverOrder < 1)
      throw new SchedulerConfigError(this.className, "solver_order", "must be at least 1", this.solverOrder);
    if (config.values.disable_corrector !== undefined && config.numArray("disable_corrector") === null) {
      config.patch("disable_corrector", []);
    }
  }

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const N = this.numTrainTimesteps;
    const spacing = this.config.str("timestep_spacing", TIMESTEP_SPACINGS);
    const spaced = multistepTimesteps(spacing, N, N, n, this.config.int("steps_offset"));
    const zero = this.config.str("final_sigmas_type") === "zero";
    const { timesteps, sigmas } = this.rampSchedule(spaced, n, (ramp) =>
      zero ? 0 : ramp !== null ? ramp[ramp.length - 1] : this.trainSigmaMin,
    );
    this.schedule = timesteps;
    this.sigmaValues = sigmas;
    this.modelOutputs = Array.from({ length: this.solverOrder }, () => null);
    this.lowerOrderNums = 0;
    this.lastSample = null;
    this.thisOrder = 1;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    void options;
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t, "last");
    const disabled = this.config.numArray("disable_corrector") ?? [];
    const useCorrector = i > 0 && !disabled.includes(i - 1) && this.lastSample !== null;
    const sigma = this.sigmaAt(i);
    const converted = this.predictX0
      ? this.toDataPrediction(modelOutput, sample, sigma)
      : this.toNoisePrediction(modelOutput, sample, sigma);
    let x = sample;
    if (useCorrector) x = this.corrector(converted, this.lastSample as Float32Array, i);
    this.modelOutputs.shift();
    this.modelOutputs.push(converted);
    const steps = this.schedule.length;
    const order = this.config.bool("lower_order_final") ? Math.min(this.solverOrder, steps - i) : this.solverOrder;
    this.thisOrder = Math.min(order, this.lowerOrderNums + 1);
    this.lastSample = x;
    const prev = this.predictor(x, i, this.thisOrder);
    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums++;
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: this.predictX0 ? converted : undefined };
  }

  private output(back: number): Float32Array {
    return this.modelOutputs[this.modelOutputs.length - 1 - back] as Float32Array;
  }

  private lambdaAt(index: number): number {
    const [a, s] = alphaSigmaOf(this.sigmaAt(index));
    return lambdaOf(a, s);
  }

  // The B(h)-weighted φ coefficients b_k and the Vandermonde rows R_k = r^(k−1) of the UniPC paper.
  private coefficients(h: number, rks: number[], order: number) {
    const hh = this.predictX0 ? -h : h;
    const hPhi1 = Math.expm1(hh);
    let hPhiK = hPhi1 / hh - 1;
    let factorial = 1;
    const bh = this.config.str("solver_type") === "bh1" ? hh : Math.expm1(hh);
    const R: number[][] = [];
    const b: number[] = [];
    for (let k = 1; k <= order; k++) {
      R.push(rks.map((r) => r ** (k - 1)));
      b.push((hPhiK * factorial) / bh);
      factorial *= k + 1;
      hPhiK = hPhiK / hh - 1 / factorial;
    }
    return { hPhi1, bh, R, b };
  }

  private predictor(x: Float32Array, i: number, order: number): Float32Array {
    const m0 = this.output(0);
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmaAt(i + 1));
    const [alphaS0, sigmaS0] = alphaSigmaOf(this.sigmaAt(i));
    const lambdaS0 = lambdaOf(alphaS0, sigmaS0);
    const h = f(lambdaOf(alphaT, sigmaT) - lambdaS0);
    const rks: number[] = [];
    const d1s: Float32Array[] = [];
    for (let k = 1; k < order; k++) {
      const rk = f(f(this.lambdaAt(i - k) - lambdaS0) / h);
      const mi = this.output(k);
      rks.push(rk);
      d1s.push(mi.map((v, e) => f(f(v - m0[e]) / rk)));
    }
    rks.push(1);
    const { hPhi1, bh, R, b } = this.coefficients(h, rks, order);
    let rhos: number[] = [];
    if (d1s.length > 0)
      rhos =
        order === 2
          ? [0.5]
          : solve(
              R.slice(0, -1).map((r) => r.slice(0, -1)),
              b.slice(0, -1),
            );
    return this.combine(x, m0, d1s, rhos, { alphaT, sigmaT, alphaS0, sigmaS0, hPhi1, bh });
  }

  private corrector(modelT: Float32Array, last: Float32Array, i: number): Float32Array {
    const order = this.thisOrder;
    const m0 = this.output(0);
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmaAt(i));
    const [alphaS0, sigmaS0] = alphaSigmaOf(this.sigmaAt(i - 1));
    const lambdaS0 = lambdaOf(alphaS0, sigmaS0);
    const h = f(lambdaOf(alphaT, sigmaT) - lambdaS0);
    const rks: number[] = [];
    const d1s: Float32Array[] = [];
    for (let k = 1; k < order; k++) {
      const rk = f(f(this.lambdaAt(i - (k + 1)) - lambdaS0) / h);
      const mi = this.output(k);
      rks.push(rk);
      d1s.push(mi.map((v, e) => f(f(v - m0[e]) / rk)));
    }
    rks.push(1);
    const { hPhi1, bh, R, b } = this.coefficients(h, rks, order);
    const rhos = order === 1 ? [0.5] : solve(R, b);
    const base = this.combine(last, m0, d1s, rhos.slice(0, -1), { alphaT, sigmaT, alphaS0, sigmaS0, hPhi1, bh });
    const scale = this.predictX0 ? -f(alphaT * bh) : -f(sigmaT * bh);
    const rhoLast = rhos[rhos.length - 1];
    return base.map((v, e) => f(v + scale * rhoLast * f(modelT[e] - m0[e])));
  }

  // x_t = (σ_t/σ_s0)·x − α_t·hφ1·m0 − α_t·B(h)·Σ ρ_k D1_k   (data form; the noise form swaps α and σ).
  private combine(
    x: Float32Array,
    m0: Float32Array,
    d1s: Float32Array[],
    rhos: number[],
    s: { alphaT: number; sigmaT: number; alphaS0: number; sigmaS0: number; hPhi1: number; bh: number },
  ): Float32Array {
    const a = this.predictX0 ? f(s.sigmaT / s.sigmaS0) : f(s.alphaT / s.alphaS0);
    const c = this.predictX0 ? f(s.alphaT * s.hPhi1) : f(s.sigmaT * s.hPhi1);
    const scale = this.predictX0 ? f(s.alphaT * s.bh) : f(s.sigmaT * s.bh);
    return x.map((v, e) => {
      let res = 0;
      for (let k = 0; k < d1s.length; k++) res += rhos[k] * d1s[k][e];
      return f(f(f(a * v) - f(c * m0[e])) - f(scale * res));
    });
  }
}
