/**
 * The `timestep_spacing` rules of diffusers' schedulers. Two families exist: the sigma schedulers (Euler, Heun,
 * LMS, KDPM2, DPM-SDE) pick N timesteps, the multistep solvers (DPM++, UniPC, DEIS) pick N+1 and drop the last.
 */
import { npArange, npLinspace, roundHalfEven } from "./numpy-compat.js";
import { SchedulerConfigError } from "./scheduler-errors.js";

/** Allowed `timestep_spacing` values. */
export const TIMESTEP_SPACINGS = ["linspace", "leading", "trailing"] as const;
/** One of `TIMESTEP_SPACINGS`. */
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

const f = Math.fround;

/** Euler/Heun/LMS/KDPM2 timesteps (float32, descending). */
export function sigmaSchedulerTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  n: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case "linspace":
      return npLinspace(0, trainSteps - 1, n)
        .map(f)
        .reverse();
    case "leading": {
      const ratio = Math.floor(trainSteps / n);
      return Array.from({ length: n }, (_, i) => roundHalfEven(i * ratio))
        .reverse()
        .map((t) => f(t + stepsOffset));
    }
    case "trailing": {
      const ratio = trainSteps / n;
      return npArange(trainSteps, 0, -ratio).map((t) => f(roundHalfEven(t) - 1));
    }
    default:
      throw new SchedulerConfigError("scheduler", "timestep_spacing", "must be linspace, leading or trailing", spacing);
  }
}

/** DPM++/UniPC/DEIS timesteps (int64, descending): N+1 points with the last dropped for linspace/leading. */
export function multistepTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  lastTimestep: number,
  n: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case "linspace":
      return npLinspace(0, lastTimestep - 1, n + 1)
        .map(roundHalfEven)
        .reverse()
        .slice(0, n);
    case "leading": {
      const ratio = Math.floor(lastTimestep / (n + 1));
      return Array.from({ length: n + 1 }, (_, i) => roundHalfEven(i * ratio))
        .reverse()
        .slice(0, n)
        .map((t) => t + stepsOffset);
    }
    case "trailing": {
      const ratio = trainSteps / n;
      return npArange(lastTimestep, 0, -ratio).map((t) => roundHalfEven(t) - 1);
    }
    default:
      throw new SchedulerConfigError("scheduler", "timestep_spacing", "must be linspace, leading or trailing", spacing);
  }
}

/** DDIM/DDPM/PNDM/LCM-style integer timesteps (descending) for a spacing. */
export function discreteTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  n: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case "linspace":
      return npLinspace(0, trainSteps - 1, n)
        .map(roundHalfEven)
        .reverse();
    case "leading": {
      const ratio = Math.floor(trainSteps / n);
      return Array.from({ length: n }, (_, i) => roundHalfEven(i * ratio) + stepsOffset).reverse();
    }
    case "trailing": {
      const ratio = trainSteps / n;
      return npArange(trainSteps, 0, -ratio).map((t) => roundHalfEven(t) - 1);
    }
    default:
      throw new SchedulerConfigError("scheduler", "timestep_spacing", "must be linspace, leading or trailing", spacing);
  }
}
