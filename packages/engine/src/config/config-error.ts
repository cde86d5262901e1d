import { AtelierError } from "@atelier/core";

/** Where a config value came from. */
export type ConfigSource =
  | { kind: "file"; file: string; key: string }
  | { kind: "env"; variable: string }
  | { kind: "override"; key: string }
  | { kind: "default" };

/** One rejected config value. */
export interface ConfigIssue {
  /** The config key, e.g. "port". */
  key: string;
  /** Where the value came from. */
  source: ConfigSource;
  /** The rejected value as read (a string for environment variables). */
  value: unknown;
  /** What is allowed, from the schema. */
  message: string;
}

/** Says where a config value came from, for messages. */
export function describeConfigSource(source: ConfigSource): string {
  switch (source.kind) {
    case "file":
      return `config file ${source.file}`;
    case "env":
      return `environment variable ${source.variable}`;
    case "override":
      return `override ${source.key}`;
    case "default":
      return "the default";
  }
}

function formatValue(value: unknown): string {
  if (value === undefined) return "(unset)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Formats one issue as a line: key, source, value and what is allowed. */
export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.key}: ${formatValue(issue.value)} (from ${describeConfigSource(issue.source)}) — ${issue.message}`;
}

/** The config cannot be used: a bad value, an unreadable file, or YAML that does not parse. Stops start-up. */
export class ConfigError extends AtelierError {
  /** Every rejected value (empty for file-level errors). */
  readonly issues: readonly ConfigIssue[];

  constructor(
    code: "invalid_config_value" | "config_file_unreadable" | "config_file_unwritable" | "config_file_invalid",
    message: string,
    options: { issues?: ConfigIssue[]; file?: string; cause?: unknown } = {},
  ) {
    const issues = options.issues ?? [];
    super(code, message, {
      status: 400,
      cause: options.cause,
      details: {
        ...(options.file === undefined ? {} : { file: options.file }),
        ...(issues.length === 0
          ? {}
          : { issues: issues.map((i) => ({ ...i, source: describeConfigSource(i.source) })) }),
      },
    });
    this.issues = issues;
  }

  /** Builds the error for one or more rejected values. */
  static fromIssues(issues: ConfigIssue[]): ConfigError {
    const lines = issues.map(formatConfigIssue);
    const message =
      lines.length === 1 ? `Invalid config value: ${lines[0]}` : `Invalid config values:\n  - ${lines.join("\n  - ")}`;
    return new ConfigError("invalid_config_value", message, { issues });
  }
}
