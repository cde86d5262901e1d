import type { Logger } from "@atelier/engine";
import type { LogLevelControl } from "../routes/app-routes.js";

/** Reads and changes the running log level through the engine's root logger. */
export function logLevelControl(logger: Logger): LogLevelControl {
  return { getLevel: () => logger.level(), setLevel: (level) => logger.setLevel(level) };
}
