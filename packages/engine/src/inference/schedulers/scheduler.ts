/**
 * The scheduler contract the denoise nodes drive, modelled on diffusers' `SchedulerMixin` and InvokeAI's use of
 * it: `setTimesteps` builds the schedule and trims it to [denoisingStart, denoisingEnd] as InvokeAI's
 * `init_scheduler` does; `step` advances one model call. Latents are flat Float32Arrays (any batch/shape).
 */
import type { TorchCpuGenerator } from "@atelier/core";
import type { SchedulerConfig } from "./scheduler-config.js";
import { roundHalfEven } from "./numpy-compat.js";
import { SchedulerUsageError } from "./scheduler-errors.js";

/** Options of `setTimesteps`. */
export interface SetTimestepsOptions {
  /** Fraction of the schedule already done (img2img strength = 1 − start); default 0. */
  readonly denoisingStart?: number;
  /** Fraction at which to stop (for refiners); default 1. */
  readonly denoisingEnd?: number;
  /** Flow matching: the resolution-dependent shift; computed from `imageSeqLen` when omitted. */
  readonly mu?: number;
  /** Flow matching: number of packed image tokens, used to compute `mu`. */
  readonly imageSeqLen?: number;
  /** Flow matching: explicit sigmas (descending, without the final 0). */
  readonly sigmas?: readonly number[];
}

/** Options of `step`. */
export interface StepOptions {
  /** Seeded source of the step noise of stochastic samplers (Euler a, DDPM, LCM, SDE solvers…). */
  readonly generator?: TorchCpuGenerator;
  /** DDIM / TCD eta (DDIM default 0, TCD default 0.3; InvokeAI passes 1.0 to TCD). */
  readonly eta?: number;
}

/** Result of one `step`. */
export interface StepResult {
  /** The latents for the next model call. */
  readonly prevSample: Float32Array;
  /** The denoised estimate x0 where the algorithm has one (for previews). */
  readonly predOriginalSample?: Float32Array;
}

/** A noise scheduler. */
export interface Scheduler {
  /** diffusers class this mirrors, e.g. "EulerDiscreteScheduler". */
  readonly className: string;
  /** The effective config after `from_config` rules and overrides. */
  readonly config: SchedulerConfig;
  /** Model calls per step of the underlying solver (2 for Heun/KDPM2/DPM-SDE); InvokeAI trims by it. */
  readonly order: number;
  /** Element type diffusers gives the timesteps: int64 for DDIM/DPM++/…, float32 for the sigma schedulers. */
  readonly timestepDtype: "int64" | "float32";
  /** Scale of the initial noise for pure text-to-image (1 for alpha schedulers). */
  readonly initNoiseSigma: number;
  /** The model calls to run, after trimming to the denoising range (a timestep repeats for 2nd-order solvers). */
  readonly timesteps: readonly number[];
  /** The whole untrimmed schedule (diffusers' `scheduler.timesteps`). */
  readonly scheduleTimesteps: readonly number[];
  /** The sigmas diffusers exposes (null for DDIM/DDPM/PNDM/LCM/TCD, which have none). */
  readonly sigmas: readonly number[] | null;
  /** First timestep of the trimmed run: where img2img noise is added (InvokeAI's `init_timestep`). */
  readonly initTimestep: number | undefined;
  /** Builds the schedule for `numInferenceSteps` and resets all step state. */
  setTimesteps(numInferenceSteps: number, options?: SetTimestepsOptions): void;
  /** Scales the latents fed to the model at timestep `t` (÷√(σ²+1) for sigma schedulers, else identity). */
  scaleModelInput(sample: Float32Array, t: number): Float32Array;
  /** One solver step from the model output at `t`. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, options?: StepOptions): StepResult;
  /** Noises clean latents to the level of timestep `t` (img2img start, inpainting re-noise). */
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;
}

/** Shared plumbing: schedule bookkeeping, InvokeAI's trimming, diffusers' timestep → index lookup, checks. */
export abstract class BaseScheduler implements Scheduler {
  abstract readonly className: string;
  abstract readonly timestepDtype: "int64" | "float32";
  protected schedule: number[] = [];
  protected sigmaValues: Float32Array | null = null;
  protected numInferenceSteps = 0;
  /** diffusers' `_step_index`: null until the first step/scale call of a run. */
  protected stepIndex: number | null = null;
  private run: number[] = [];

  constructor(readonly config: SchedulerConfig) {}

  get order(): number {
    return 1;
  }

  get initNoiseSigma(): number {
    return 1;
  }

  get timesteps(): readonly number[] {
    return this.run;
  }

  get scheduleTimesteps(): readonly number[] {
    return this.schedule;
  }

  get sigmas(): readonly number[] | null {
    return this.sigmaValues === null ? null : Array.from(this.sigmaValues);
  }

  get initTimestep(): number | undefined {
    return this.run[0];
  }

  setTimesteps(numInferenceSteps: number, options: SetTimestepsOptions = {}): void {
    if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1) {
      throw new SchedulerUsageError(this.className, `steps must be a positive integer, got ${numInferenceSteps}`, {
        field: "steps",
        value: numInferenceSteps,
      });
    }
    const start = options.denoisingStart ?? 0;
    const end = options.denoisingEnd ?? 1;
    if (!(start >= 0 && start <= 1) || !(end >= 0 && end <= 1) || start > end) {
      throw new SchedulerUsageError(
        this.className,
        `denoising range [${start}, ${end}] must lie in [0, 1] and be ordered`,
        {
          field: "denoising_start",
          value: [start, end],
        },
      );
    }
    this.numInferenceSteps = numInferenceSteps;
    this.stepIndex = null;
    this.buildSchedule(numInferenceSteps, options);
    this.run = this.trim(start, end);
  }

  scaleModelInput(sample: Float32Array, t: number): Float32Array {
    this.requireSchedule();
    void t;
    return sample;
  }

  abstract step(modelOutput: Float32Array, t: number, sample: Float32Array, options?: StepOptions): StepResult;
  abstract addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;

  /** Computes `schedule`, `sigmaValues` and resets algorithm state for `n` steps. */
  protected abstract buildSchedule(n: number, options: SetTimestepsOptions): void;

  /** Training steps (for InvokeAI's trimming). */
  protected get numTrainTimesteps(): number {
    return this.config.int("num_train_timesteps");
  }

  // InvokeAI `init_scheduler`: keep the first-order timesteps ≥ 1000·(1 − start), stop before those < 1000·(1 − end),
  // and expand the cut back by the solver order so that second-order pairs stay whole.
  /** The model calls of the [start, end] part of the schedule. */
  protected trim(start: number, end: number): number[] {
    const order = this.order;
    const firstOrder = this.schedule.filter((_, i) => i % order === 0);
    const startValue = roundHalfEven(this.numTrainTimesteps * (1 - start));
    const endValue = roundHalfEven(this.numTrainTimesteps * (1 - end));
    const startIdx = firstOrder.filter((t) => t >= startValue).length;
    const endIdx = firstOrder.slice(startIdx).filter((t) => t >= endValue).length;
    return this.schedule.slice(startIdx * order, startIdx * order + endIdx * order);
  }

  /** diffusers' `index_for_timestep`: the match of `t` in the schedule, the second one when it repeats. */
  protected indexForTimestep(t: number, whenMissing: "error" | "last" = "error"): number {
    const matches: number[] = [];
    this.schedule.forEach((s, i) => {
      if (s === t) matches.push(i);
    });
    if (matches.length === 0) {
      if (whenMissing === "last") return this.schedule.length - 1;
      throw new SchedulerUsageError(this.className, `timestep ${t} is not in the schedule`, {
        field: "timestep",
        value: t,
      });
    }
    return matches.length > 1 ? matches[1] : matches[0];
  }

  /** Sets the step index from the first timestep of a run. */
  protected initStepIndex(t: number, whenMissing: "error" | "last" = "error"): number {
    if (this.stepIndex === null) this.stepIndex = this.indexForTimestep(t, whenMissing);
    return this.stepIndex;
  }

  /** Fails unless setTimesteps ran. */
  protected requireSchedule(): void {
    if (this.schedule.length === 0) {
      throw new SchedulerUsageError(this.className, "setTimesteps must be called before stepping");
    }
  }

  /** Fails unless the arrays have equal lengths. */
  protected checkSizes(...arrays: Float32Array[]): void {
    const n = arrays[0].length;
    if (arrays.some((a) => a.length !== n)) {
      throw new SchedulerUsageError(
        this.className,
        "model output, sample and noise must have the same number of elements",
        {
          sizes: arrays.map((a) => a.length),
        },
      );
    }
  }

  /** The sigma at an index (throws if this scheduler has none). */
  protected sigmaAt(index: number): number {
    if (this.sigmaValues === null || index < 0 || index >= this.sigmaValues.length) {
      throw new SchedulerUsageError(this.className, `no sigma at step ${index}; the run went past its schedule`, {
        index,
      });
    }
    return this.sigmaValues[index];
  }
}

/** Draws `n` standard normals from a generator as `torch.randn` would for a float32 tensor of n elements. */
export function drawNoise(generator: TorchCpuGenerator | undefined, n: number, scheduler: string): Float32Array {
  if (generator === undefined) {
    throw new SchedulerUsageError(scheduler, "this scheduler draws step noise: pass a seeded generator to step()", {
      field: "generator",
    });
  }
  const out = new Float32Array(n);
  generator.fillNormal(out);
  return out;
}
