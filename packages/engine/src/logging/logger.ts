import { isAbsolute, resolve } from "node:path";
import pino from "pino";
import type { LOG_FORMATS, LOG_LEVELS } from "../config/config-schema.js";
import { formatLogRecord } from "./log-line-format.js";

/** Config log level names (InvokeAI's). */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Config log formats. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Structured values attached to one log line. An `err` or `error` key holding an Error is logged with its stack. */
export type LogExtra = Record<string, unknown>;

/** Values attached to every line of a child logger; the named ones are what the processor binds per node. */
export interface LogBindings {
  queue_item_id?: number;
  session_id?: string;
  /** The node's source id (its id in the graph the user wrote, not the expanded execution id). */
  node_id?: string;
  node_type?: string;
  [key: string]: string | number | boolean | null | undefined;
}

/** The logger services and nodes use (`context.logger`). */
export interface Logger {
  debug(message: string, extra?: LogExtra): void;
  info(message: string, extra?: LogExtra): void;
  warning(message: string, extra?: LogExtra): void;
  error(message: string, extra?: LogExtra): void;
  critical(message: string, extra?: LogExtra): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogBindings): Logger;
  /** True when lines of `level` are written, to skip building costly messages. */
  isLevelEnabled(level: LogLevel): boolean;
  /** The current level. */
  level(): LogLevel;
  /** Changes the level of this logger and of the children made from it afterwards. */
  setLevel(level: LogLevel): void;
}

/** The config fields the logger reads (a full AtelierConfig satisfies it). */
export interface LoggerConfig {
  log_level: LogLevel;
  log_format: LogFormat;
  /** "console" and/or "file=<path>"; defaults to console. */
  log_handlers?: readonly string[];
  /** Relative log file paths are resolved against the root folder. */
  paths?: { readonly root: string };
}

/** Where log text is written. */
export interface LogDestination {
  write(chunk: string): unknown;
}

/** Options of `createLogger`. */
export interface CreateLoggerOptions {
  /** Write here instead of the configured handlers (tests, embedding). */
  destination?: LogDestination;
  /** Logger name shown in readable lines; default "atelier". */
  name?: string;
}

const PINO_LEVELS: Record<LogLevel, pino.Level> = {
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  critical: "fatal",
};

const LEVEL_BY_PINO = new Map<string, LogLevel>(
  Object.entries(PINO_LEVELS).map(([name, pinoLevel]) => [pinoLevel, name as LogLevel]),
);

/** A destination with the format its lines are written in. */
interface FormattedDestination {
  destination: LogDestination;
  format: LogFormat;
}

function handlerDestinations(config: LoggerConfig): FormattedDestination[] {
  const handlers = config.log_handlers ?? ["console"];
  return handlers.map((handler) => {
    if (handler === "console") {
      // Color codes only where a terminal shows them; piped or redirected output gets plain lines.
      const format = config.log_format === "color" && !process.stdout.isTTY ? "plain" : config.log_format;
      return { destination: pino.destination({ dest: 1, sync: true }), format };
    }
    const file = handler.slice("file=".length);
    const path = isAbsolute(file) ? file : resolve(config.paths?.root ?? process.cwd(), file);
    const format = config.log_format === "color" ? "plain" : config.log_format;
    return { destination: pino.destination({ dest: path, sync: true, mkdir: true }), format };
  });
}

/** Fans one stream of pino JSON lines out to the destinations, each in its own format. */
function outputStream(destinations: FormattedDestination[]): pino.DestinationStream {
  return {
    write(line: string) {
      let record: Record<string, unknown> | undefined;
      for (const { destination, format } of destinations) {
        if (format === "json") {
          destination.write(line);
          continue;
        }
        try {
          record ??= JSON.parse(line) as Record<string, unknown>;
          destination.write(formatLogRecord(record, format));
        } catch {
          // A line pino wrote that is not JSON is passed through rather than lost.
          destination.write(line);
        }
      }
    },
  };
}

function withoutUndefined(bindings: LogBindings): Record<string, string | number | boolean | null> {
  const clean: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(bindings)) if (value !== undefined) clean[key] = value;
  return clean;
}

function wrap(base: pino.Logger): Logger {
  const log = (level: pino.Level) => (message: string, extra?: LogExtra) => {
    if (extra === undefined) base[level](message);
    else base[level](extra, message);
  };
  return {
    debug: log("debug"),
    info: log("info"),
    warning: log("warn"),
    error: log("error"),
    critical: log("fatal"),
    child: (bindings) => wrap(base.child(withoutUndefined(bindings))),
    isLevelEnabled: (level) => base.isLevelEnabled(PINO_LEVELS[level]),
    level: () => LEVEL_BY_PINO.get(base.level) ?? "info",
    setLevel: (level) => {
      base.level = PINO_LEVELS[level];
    },
  };
}

/** Creates the root logger from the config: level, format (plain/color/syslog/legacy/json) and handlers. */
export function createLogger(config: LoggerConfig, options: CreateLoggerOptions = {}): Logger {
  const destinations =
    options.destination === undefined
      ? handlerDestinations(config)
      : [{ destination: options.destination, format: config.log_format }];
  const base = pino(
    {
      name: options.name ?? "atelier",
      level: PINO_LEVELS[config.log_level],
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    outputStream(destinations),
  );
  return wrap(base);
}

/** A logger that drops everything (for tests and tools that want silence). */
export function createSilentLogger(): Logger {
  return wrap(pino({ level: "silent" }));
}
