import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import {
  AtelierConfigSchema,
  type AtelierConfigInput,
  type AtelierConfigValues,
  type ConfigKey,
} from "./config-schema.js";
import { ConfigError, type ConfigIssue, type ConfigSource } from "./config-error.js";
import { checkConfigField, describeZodIssues, isConfigKey } from "./config-field-check.js";
import { readConfigEnv } from "./config-env.js";
import { CONFIG_FILE_NAME, defaultConfigFileText, readConfigFile, writeFileAtomic } from "./config-file.js";
import { resolveConfigPaths, type ConfigPaths } from "./config-paths.js";

/** Environment variable naming the root folder when `--root` is not given. */
export const ROOT_ENV_VARIABLE = "ATELIER_ROOT";

/** Makes every nested object and list read-only in the type, matching the deep freeze at run time. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The loaded configuration: every field (defaults applied) plus absolute paths. Frozen. */
export type AtelierConfig = DeepReadonly<AtelierConfigValues> & { readonly paths: Readonly<ConfigPaths> };

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** Root folder (`--root`); else `$ATELIER_ROOT`; else `~/atelier`. */
  root?: string;
  /** Config file (`--config`); else `<root>/atelier.yaml`. */
  configFile?: string;
  /** Values set in code, e.g. from CLI flags; they win over the file and the environment. Undefined ones are skipped. */
  overrides?: Partial<Record<keyof AtelierConfigInput, unknown>>;
  /** Environment to read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Receives non-fatal problems (unknown keys in the file). Defaults to a process warning. */
  onWarning?: (message: string) => void;
  /** Write a default file when none exists (default true). */
  writeMissingFile?: boolean;
}

/** Picks the root folder: explicit option > `$ATELIER_ROOT` > `~/atelier`; a leading `~/` means the home folder. */
export function resolveRootFolder(root: string | undefined, env: NodeJS.ProcessEnv): string {
  const chosen = root ?? (env[ROOT_ENV_VARIABLE] || undefined) ?? join(homedir(), "atelier");
  const expanded = chosen === "~" || chosen.startsWith("~/") ? join(homedir(), chosen.slice(1)) : chosen;
  return resolve(expanded);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Loads the configuration: defaults < `atelier.yaml` < `ATELIER_*` environment < overrides. Writes a default file
 * when none exists. Throws ConfigError naming every bad value, where it came from and what is allowed.
 */
export function loadConfig(options: LoadConfigOptions = {}): AtelierConfig {
  const env = options.env ?? process.env;
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, "AtelierConfigWarning"));
  const root = resolveRootFolder(options.root, env);
  const configFile =
    options.configFile === undefined ? join(root, CONFIG_FILE_NAME) : resolve(root, options.configFile);

  const sources = new Map<ConfigKey, ConfigSource>();
  const merged: Partial<Record<ConfigKey, unknown>> = {};
  const issues: ConfigIssue[] = [];
  const take = (key: ConfigKey, value: unknown, source: ConfigSource) => {
    const issue = checkConfigField(key, value, source);
    if (issue !== undefined) issues.push(issue);
    merged[key] = value;
    sources.set(key, source);
  };

  if (existsSync(configFile)) {
    const contents = readConfigFile(configFile);
    for (const key of contents.unknownKeys) {
      warn(`Unknown key "${key}" in config file ${configFile} is ignored`);
    }
    for (const [key, value] of Object.entries(contents.values) as [ConfigKey, unknown][]) {
      take(key, value, { kind: "file", file: configFile, key });
    }
  } else if (options.writeMissingFile ?? true) {
    writeFileAtomic(configFile, defaultConfigFileText());
  }

  const fromEnv = readConfigEnv(env);
  issues.push(...fromEnv.issues);
  for (const [key, value] of Object.entries(fromEnv.values) as [ConfigKey, unknown][]) {
    merged[key] = value;
    sources.set(key, { kind: "env", variable: fromEnv.variables[key] ?? key });
  }

  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    if (!isConfigKey(key)) {
      issues.push({ key, source: { kind: "override", key }, value, message: "is not a config key" });
      continue;
    }
    take(key, value, { kind: "override", key });
  }

  if (issues.length > 0) throw ConfigError.fromIssues(issues);

  // Every key passed on its own; what is left are the checks across keys.
  const parsed = AtelierConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw ConfigError.fromIssues(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? "");
        const known = isConfigKey(key);
        return {
          key,
          source: (known ? sources.get(key) : undefined) ?? { kind: "default" },
          value: known ? merged[key] : undefined,
          message: describeZodIssues([{ ...issue, path: issue.path.slice(1) }]),
        };
      }),
    );
  }

  const config = { ...parsed.data, paths: resolveConfigPaths(root, configFile, parsed.data) };
  return deepFreeze(config) as AtelierConfig;
}
