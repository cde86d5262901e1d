export * from "./logger.js";
export * from "./log-line-format.js";
