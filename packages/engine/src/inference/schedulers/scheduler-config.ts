/**
 * diffusers' `from_config` for scheduler configs: start from the class's own defaults, take the keys the file
 * really set (not private `_` keys, not those listed in `_use_default_values`, only keys the class accepts), then
 * the caller's overrides. So SD1.5's file, which has no `timestep_spacing`, gives each class its own default.
 */
import { SchedulerConfigError } from "./scheduler-errors.js";

/** A JSON-representable config value. */
export type SchedulerConfigValue = number | string | boolean | null | readonly number[];

/** Raw config mapping (scheduler_config.json or overrides). */
export type SchedulerConfigInput = Readonly<Record<string, unknown>>;

/** A class's defaults: every key it accepts. */
export type SchedulerDefaults = Readonly<Record<string, SchedulerConfigValue>>;

/** The effective config of one scheduler instance, with typed readers. */
export class SchedulerConfig {
  /** Effective values (defaults ← file ← overrides). */
  readonly values: Readonly<Record<string, SchedulerConfigValue>>;
  /** Keys given in the file or overrides that this class does not accept (kept for diagnostics). */
  readonly ignoredKeys: readonly string[];

  constructor(
    readonly className: string,
    defaults: SchedulerDefaults,
    file: SchedulerConfigInput = {},
    overrides: SchedulerConfigInput = {},
  ) {
    const values: Record<string, SchedulerConfigValue> = { ...defaults };
    const ignored: string[] = [];
    const usedDefaults = Array.isArray(file._use_default_values) ? (file._use_default_values as unknown[]) : [];
    const take = (key: string, raw: unknown) => {
      if (!Object.hasOwn(defaults, key)) {
        ignored.push(key);
        return;
      }
      values[key] = toConfigValue(className, key, raw);
    };
    for (const [key, raw] of Object.entries(file)) {
      if (key.startsWith("_") || usedDefaults.includes(key)) continue;
      take(key, raw);
    }
    for (const [key, raw] of Object.entries(overrides)) take(key, raw);
    this.values = values;
    this.ignoredKeys = ignored;
  }

  /** A finite or infinite number. */
  num(key: string): number {
    const v = this.values[key];
    if (typeof v !== "number" || Number.isNaN(v))
      throw new SchedulerConfigError(this.className, key, "must be a number", v);
    return v;
  }

  /** A positive integer. */
  int(key: string): number {
    const v = this.num(key);
    if (!Number.isInteger(v) || v < 0)
      throw new SchedulerConfigError(this.className, key, "must be a non-negative integer", v);
    return v;
  }

  /** A number or null. */
  optNum(key: string): number | null {
    const v = this.values[key];
    return v === null || v === undefined ? null : this.num(key);
  }

  /** A boolean. */
  bool(key: string): boolean {
    const v = this.values[key];
    if (typeof v !== "boolean") throw new SchedulerConfigError(this.className, key, "must be true or false", v);
    return v;
  }

  /** A string, optionally one of `allowed`. */
  str<T extends string>(key: string, allowed?: readonly T[]): T {
    const v = this.values[key];
    if (typeof v !== "string") throw new SchedulerConfigError(this.className, key, "must be a string", v);
    if (allowed !== undefined && !allowed.includes(v as T)) {
      throw new SchedulerConfigError(this.className, key, `must be one of ${allowed.join(", ")}`, v);
    }
    return v as T;
  }

  /** A list of numbers, or null. */
  numArray(key: string): readonly number[] | null {
    const v = this.values[key];
    if (v === null || v === undefined) return null;
    if (!Array.isArray(v)) throw new SchedulerConfigError(this.className, key, "must be a list of numbers", v);
    return v;
  }

  /** Overwrites a key after construction, as diffusers' `register_to_config` does for compatibility fixes. */
  patch(key: string, value: SchedulerConfigValue): void {
    (this.values as Record<string, SchedulerConfigValue>)[key] = value;
  }
}

// case.json and some exports write non-finite floats as strings.
function toConfigValue(className: string, key: string, raw: unknown): SchedulerConfigValue {
  if (raw === null || typeof raw === "boolean" || typeof raw === "number") return raw;
  if (typeof raw === "string") {
    if (raw === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (raw === "Infinity") return Number.POSITIVE_INFINITY;
    return raw;
  }
  if (Array.isArray(raw) && raw.every((x) => typeof x === "number")) return raw as number[];
  throw new SchedulerConfigError(className, key, "has an unsupported value type", raw);
}
