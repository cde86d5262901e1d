import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import YAML from "yaml";
import { CONFIG_KEYS, configShape, type ConfigKey } from "./config-schema.js";
import { ConfigError } from "./config-error.js";
import { isConfigKey } from "./config-field-check.js";

/** Name of the config file inside the root folder. */
export const CONFIG_FILE_NAME = "atelier.yaml";
/** Version of the file layout, written at the top so later versions can migrate old files. */
export const CONFIG_SCHEMA_VERSION = 1;

// Keys a file may hold that are not config fields.
const FILE_METADATA_KEYS = new Set(["schema_version"]);

/** What a config file holds: the known keys, and the names of keys the schema does not know. */
export interface ConfigFileContents {
  values: Partial<Record<ConfigKey, unknown>>;
  unknownKeys: string[];
}

/** Reads and parses a config file; throws ConfigError when it cannot be read or is not a YAML mapping. */
export function readConfigFile(file: string): ConfigFileContents {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new ConfigError("config_file_unreadable", `Cannot read config file ${file}: ${(cause as Error).message}`, {
      file,
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (cause) {
    throw new ConfigError("config_file_invalid", `Config file ${file} is not valid YAML: ${(cause as Error).message}`, {
      file,
      cause,
    });
  }
  if (parsed === null || parsed === undefined) return { values: {}, unknownKeys: [] };
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError("config_file_invalid", `Config file ${file} must hold a mapping of keys to values`, { file });
  }
  const contents: ConfigFileContents = { values: {}, unknownKeys: [] };
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (isConfigKey(key)) {
      // A key written with no value (`port:`) means "use the default", as in InvokeAI's file.
      if (value !== null) contents.values[key] = value;
    } else if (!FILE_METADATA_KEYS.has(key)) {
      contents.unknownKeys.push(key);
    }
  }
  return contents;
}

/** The text of a fresh config file: a commented header, then every key with its default and description. */
export function defaultConfigFileText(): string {
  const lines = [
    "# Atelier configuration.",
    "# Every key is optional: a missing key takes its default, so deleting a line restores the default.",
    "# Environment variables ATELIER_<KEY> (e.g. ATELIER_PORT=9191, lists as JSON) override this file;",
    "# command-line flags such as --host and --port override both.",
    "# Relative paths are relative to the folder of this file.",
    "",
    "# Internal metadata - do not edit:",
    `schema_version: ${CONFIG_SCHEMA_VERSION}`,
    "",
  ];
  for (const key of CONFIG_KEYS) {
    const schema = configShape[key];
    if (schema.description !== undefined) lines.push(`# ${schema.description}`);
    const fallback: unknown = schema.parse(undefined);
    if (fallback === undefined) {
      lines.push(`# ${key}:`);
    } else {
      lines.push(YAML.stringify({ [key]: fallback }, { lineWidth: 0 }).trimEnd());
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Writes `text` to `file` through a temp file and a rename, so a crash never leaves half a file. */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, text, { encoding: "utf8", flag: "wx" });
    renameSync(temp, file);
  } catch (cause) {
    rmSync(temp, { force: true });
    throw new ConfigError("config_file_unwritable", `Cannot write config file ${file}: ${(cause as Error).message}`, {
      file,
      cause,
    });
  }
}
