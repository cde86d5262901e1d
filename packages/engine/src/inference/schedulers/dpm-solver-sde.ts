/**
 * DPM-Solver++(2S) SDE (k-diffusion's `sample_dpmpp_sde`): diffusers' `DPMSolverSDEScheduler`. Two model calls
 * per step (at σ_i and at the log-midpoint), Brownian noise seeded by `noise_sampler_seed` (InvokeAI: the seed).
 */
import { BrownianNoiseSampler } from "./brownian-noise.js";
import type { SetTimestepsOptions, StepOptions, StepResult } from "./scheduler.js";
import type { SchedulerConfig, SchedulerDefaults } from "./scheduler-config.js";
import { SchedulerConfigError, SchedulerUsageError } from "./scheduler-errors.js";
import { SIGMA_SCHEDULER_DEFAULTS, SigmaScheduler } from "./sigma-scheduler.js";
import { sigmaToT } from "./sigma-schedules.js";

const f = Math.fround;
const tOf = (sigma: number) => f(-f(Math.log(sigma)));
const sigmaOf = (t: number) => f(Math.exp(-t));

/** `DPMSolverSDEScheduler.__init__` defaults. */
export const DPM_SDE_DEFAULTS: SchedulerDefaults = {
  ...SIGMA_SCHEDULER_DEFAULTS,
  beta_start: 0.00085,
  beta_end: 0.012,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  noise_sampler_seed: null,
};

/** DPM++ SDE with a midpoint evaluation per step. */
export class DPMSolverSDEScheduler extends SigmaScheduler {
  readonly className = "DPMSolverSDEScheduler";
  private savedSample: Float32Array | null = null;
  private midPointSigma: number | null = null;
  private noiseSampler: BrownianNoiseSampler | null = null;

  constructor(config: SchedulerConfig) {
    super(config);
    if (config.str("prediction_type") === "sample") {
      throw new SchedulerConfigError(this.className, "prediction_type", "sample prediction is not supported", "sample");
    }
  }

  override get order(): number {
    return 2;
  }

  protected buildSchedule(n: number, options: SetTimestepsOptions): void {
    void options;
    const { timesteps, sigmas } = this.baseSchedule(n);
    // Midpoint timesteps: σ at the middle of each step in t = −log σ, mapped back to a training timestep.
    const midTimesteps: number[] = [];
    for (let k = 0; k + 1 < sigmas.length; k++) {
      const t0 = -Math.log(sigmas[k]);
      const t1 = -Math.log(sigmas[k + 1]);
      midTimesteps.push(f(sigmaToT(Math.exp(-(t0 + (t1 - t0) * 0.5)), this.logSigmas)));
    }
    const all = Float32Array.from([...sigmas, 0]);
    const expanded = [all[0]];
    for (let i = 1; i < all.length - 1; i++) expanded.push(all[i], all[i]);
    expanded.push(all[all.length - 1]);
    this.sigmaValues = Float32Array.from(expanded);
    const ts = timesteps.map(f);
    const run = [ts[0]];
    for (let k = 1; k < ts.length; k++) run.push(midTimesteps[k - 1], ts[k]);
    this.schedule = run;
    this.savedSample = null;
    this.midPointSigma = null;
    this.noiseSampler = null;
  }

  protected override inputSigma(index: number): number {
    return this.savedSample === null ? this.sigmaAt(index) : (this.midPointSigma as number);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    this.requireSchedule();
    this.checkSizes(modelOutput, sample);
    const i = this.initStepIndex(t);
    const sampler = this.samplerFor(sample.length, options);
    const firstOrder = this.savedSample === null;
    const sigma = firstOrder ? this.sigmaAt(i) : this.sigmaAt(i - 1);
    const sigmaNext = firstOrder ? this.sigmaAt(i + 1) : this.sigmaAt(i);
    const tNow = tOf(sigma);
    let tNext = tOf(sigmaNext);
    const tProposed = f(tNow + f(f(tNext - tNow) * 0.5));
    const pred = this.predictOriginal(modelOutput, sample, firstOrder ? sigma : sigmaOf(tProposed), false);
    let prev: Float32Array;
    if (sigmaNext === 0) {
      const dt = f(sigmaNext - sigma);
      prev = sample.map((s, k) => f(s + f(f(f(s - pred[k]) / sigma) * dt)));
    } else {
      if (firstOrder) tNext = tProposed;
      const base = firstOrder ? sample : (this.savedSample as Float32Array);
      const sigmaFrom = sigmaOf(tNow);
      const sigmaTo = sigmaOf(tNext);
      const from2 = f(sigmaFrom * sigmaFrom);
      const to2 = f(sigmaTo * sigmaTo);
      const sigmaUp = Math.min(sigmaTo, f(Math.sqrt(f(f(to2 * f(from2 - to2)) / from2))));
      const sigmaDown = f(Math.sqrt(f(to2 - f(sigmaUp * sigmaUp))));
      const ancestralT = tOf(sigmaDown);
      const ratio = f(sigmaOf(ancestralT) / sigmaOf(tNow));
      const coeff = f(Math.expm1(f(tNow - ancestralT)));
      const noise = sampler.sample(sigmaOf(tNow), sigmaOf(tNext));
      prev = base.map((s, k) => f(f(f(ratio * s) - f(coeff * pred[k])) + f(noise[k] * sigmaUp)));
      if (firstOrder) {
        this.savedSample = sample;
        this.midPointSigma = sigmaOf(tNext);
      } else {
        this.savedSample = null;
        this.midPointSigma = null;
      }
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: pred };
  }

  private samplerFor(size: number, options: StepOptions): BrownianNoiseSampler {
    if (this.noiseSampler !== null) return this.noiseSampler;
    const sigmas = this.sigmaValues as Float32Array;
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const s of sigmas) {
      if (s > 0) min = Math.min(min, s);
      max = Math.max(max, s);
    }
    const configured = this.config.optNum("noise_sampler_seed");
    let seed: number | bigint;
    if (configured !== null) seed = configured;
    else if (options.generator !== undefined) seed = options.generator.random64();
    else {
      throw new SchedulerUsageError(this.className, "set noise_sampler_seed or pass a generator to step()", {
        field: "noise_sampler_seed",
      });
    }
    this.noiseSampler = new BrownianNoiseSampler(size, min, max, seed);
    return this.noiseSampler;
  }
}
