import { AtelierError } from "@atelier/core";
import type { Logger, LogLevel } from "@atelier/engine";
import type { LogLevelControl } from "../routes/app-routes.js";

/** The logger cannot change its level while running. */
export class LogLevelUnchangeableError extends AtelierError {
  constructor() {
    super("log_level_unchangeable", "This logger cannot change its level at run time; set log_level in atelier.yaml", {
      status: 501,
    });
  }
}

/** Reads the log level from the config and changes it through the logger's `setLevel` when it has one. */
export function logLevelControl(logger: Logger, configured: LogLevel): LogLevelControl {
  let current = configured;
  const settable = logger as Logger & { setLevel?: (level: LogLevel) => void };
  return {
    getLevel: () => current,
    setLevel: (level) => {
      if (typeof settable.setLevel !== "function") throw new LogLevelUnchangeableError();
      settable.setLevel(level);
      current = level;
    },
  };
}
