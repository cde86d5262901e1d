export * from "./program.js";
export * from "./cli-io.js";
export * from "./api-client.js";
export * from "./run/run-headless.js";
export * from "./run/run-progress.js";
