import type { z } from "@atelier/core";
import { configShape, type ConfigKey } from "./config-schema.js";
import type { ConfigIssue, ConfigSource } from "./config-error.js";

/** True when `key` names a config field. */
export function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(configShape, key);
}

/** Joins zod issues into one message; nested paths (list items, object fields) are named. */
export function describeZodIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path
        .map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`))
        .join("")
        .replace(/^\./, "");
      return where === "" ? issue.message : `at ${where}: ${issue.message}`;
    })
    .join("; ");
}

/** Validates one value against its field's schema; returns the issue, or undefined when the value is allowed. */
export function checkConfigField(key: ConfigKey, value: unknown, source: ConfigSource): ConfigIssue | undefined {
  const result = configShape[key].safeParse(value);
  if (result.success) return undefined;
  return { key, source, value, message: describeZodIssues(result.error.issues) };
}
