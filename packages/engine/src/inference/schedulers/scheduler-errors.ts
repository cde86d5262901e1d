import { AtelierError } from "@atelier/core";

/** The scheduler name is not one Atelier knows (InvokeAI's names, plus `flow_match_euler`). */
export class UnknownSchedulerError extends AtelierError {
  constructor(name: string, known: readonly string[]) {
    super("unknown_scheduler", `Unknown scheduler ${JSON.stringify(name)}; expected one of: ${known.join(", ")}`, {
      status: 422,
      details: { field: "scheduler", value: name },
    });
  }
}

/** A scheduler config value (from scheduler_config.json or overrides) is missing, of the wrong type or unsupported. */
export class SchedulerConfigError extends AtelierError {
  constructor(scheduler: string, key: string, message: string, value?: unknown) {
    super("scheduler_config_invalid", `${scheduler}: config ${key}: ${message}`, {
      status: 422,
      details: { scheduler, field: key, value },
    });
  }
}

/** A scheduler was used out of order (step before setTimesteps, a timestep not in the schedule, bad sizes). */
export class SchedulerUsageError extends AtelierError {
  constructor(scheduler: string, message: string, details: Record<string, unknown> = {}) {
    super("scheduler_usage_invalid", `${scheduler}: ${message}`, { status: 400, details: { scheduler, ...details } });
  }
}
