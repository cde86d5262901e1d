import { CONFIG_KEYS, configShape, type ConfigKey } from "./config-schema.js";
import { describeZodIssues } from "./config-field-check.js";
import type { ConfigIssue } from "./config-error.js";

/** Prefix of the environment variables that set config fields. */
export const CONFIG_ENV_PREFIX = "ATELIER_";

/** The environment variable that sets `key`, e.g. `ATELIER_PORT` for `port`. */
export function configEnvVariable(key: ConfigKey): string {
  return `${CONFIG_ENV_PREFIX}${key.toUpperCase()}`;
}

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  false: false,
  "1": true,
  "0": false,
  yes: true,
  no: false,
  on: true,
  off: false,
};

function jsonReading(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The typed readings of an environment string, most literal first: the text itself (so a string field keeps
 * "123" as text), then JSON (numbers, lists, objects), then boolean words.
 */
function readings(raw: string): unknown[] {
  const candidates: unknown[] = [raw];
  const json = jsonReading(raw);
  if (json !== undefined) candidates.push(json);
  const word = BOOLEAN_WORDS[raw.trim().toLowerCase()];
  if (word !== undefined) candidates.push(word);
  return candidates;
}

/** Result of reading the environment: the values it sets, and the ones it sets badly. */
export interface ConfigEnvReading {
  values: Partial<Record<ConfigKey, unknown>>;
  issues: ConfigIssue[];
  /** The variable that set each key, for error messages about cross-field checks. */
  variables: Partial<Record<ConfigKey, string>>;
}

/** Reads `ATELIER_<FIELD>` variables; empty ones are ignored (as InvokeAI does). */
export function readConfigEnv(env: NodeJS.ProcessEnv): ConfigEnvReading {
  const reading: ConfigEnvReading = { values: {}, issues: [], variables: {} };
  for (const key of CONFIG_KEYS) {
    const variable = configEnvVariable(key);
    const raw = env[variable];
    if (raw === undefined || raw === "") continue;
    reading.variables[key] = variable;
    const candidates = readings(raw);
    const accepted = candidates.find((candidate) => configShape[key].safeParse(candidate).success);
    if (accepted !== undefined) {
      reading.values[key] = accepted;
      continue;
    }
    // Report against the JSON reading when there is one: "expected number" reads better than "received string".
    const best = jsonReading(raw) ?? raw;
    const failure = configShape[key].safeParse(best);
    const issues = failure.success ? [] : failure.error.issues;
    const typeHint = issues.some((i) => i.code === "invalid_type")
      ? " (environment values are read as text, as JSON, or as true/false/1/0)"
      : "";
    reading.issues.push({
      key,
      source: { kind: "env", variable },
      value: raw,
      message: `${issues.length === 0 ? "is not allowed" : describeZodIssues(issues)}${typeHint}`,
    });
  }
  return reading;
}
