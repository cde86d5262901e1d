/** Human-readable log line styles (json lines are pino's own and need no formatting). */
export type ReadableLogFormat = "plain" | "color" | "syslog" | "legacy";

// Keys pino writes on every record; everything else is a binding or an extra and is shown as key=value.
const RECORD_KEYS = new Set(["level", "time", "msg", "pid", "hostname", "name"]);

const LEVEL_LABELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARNING",
  50: "ERROR",
  60: "CRITICAL",
};
const LEVEL_COLORS: Record<number, string> = {
  10: "\x1b[90m",
  20: "\x1b[90m",
  30: "\x1b[32m",
  40: "\x1b[33m",
  50: "\x1b[31m",
  60: "\x1b[1;31m",
};
// InvokeAI's legacy console prefixes, kept for users who grep their logs for them.
const LEGACY_PREFIXES: Record<number, string> = {
  10: "   | ",
  20: "   | ",
  30: ">> ",
  40: "** ",
  50: "*** ",
  60: "### ",
};
const RESET = "\x1b[0m";

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

function localTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
}

function isSerializedError(value: unknown): value is SerializedError {
  return typeof value === "object" && value !== null && typeof (value as SerializedError).stack === "string";
}

/** Turns one pino JSON record into a readable line (with the stack of any error on the lines after it). */
export function formatLogRecord(record: Record<string, unknown>, format: ReadableLogFormat): string {
  const level = typeof record.level === "number" ? record.level : 30;
  const label = LEVEL_LABELS[level] ?? `LEVEL${level}`;
  const name = typeof record.name === "string" ? record.name : "atelier";
  const message = typeof record.msg === "string" ? record.msg : "";
  const context: string[] = [];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (RECORD_KEYS.has(key) || value === undefined) continue;
    if (isSerializedError(value)) {
      context.push(`${key}=${renderValue(value.message ?? value.type ?? "error")}`);
      stacks.push(value.stack ?? "");
    } else {
      context.push(`${key}=${renderValue(value)}`);
    }
  }
  const tail = context.length > 0 ? ` (${context.join(" ")})` : "";
  let line: string;
  switch (format) {
    case "plain":
      line = `[${localTimestamp(Number(record.time ?? Date.now()))}]::[${name}]::${label} --> ${message}${tail}`;
      break;
    case "color": {
      const color = LEVEL_COLORS[level] ?? "";
      line = `${color}[${localTimestamp(Number(record.time ?? Date.now()))}]::[${name}]::${label}${RESET} --> ${message}${tail}`;
      break;
    }
    case "syslog":
      line = `${name} [${String(record.pid ?? process.pid)}] <${label}> ${message}${tail}`;
      break;
    case "legacy":
      line = `${LEGACY_PREFIXES[level] ?? ""}${message}${tail}`;
      break;
  }
  return [line, ...stacks].join("\n") + "\n";
}
