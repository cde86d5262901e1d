export * from "./context-factory.js";
export * from "./processor-errors.js";
export * from "./item-run.js";
export * from "./session-runner.js";
export * from "./session-processor.js";
export * from "./queue-runtime.js";
