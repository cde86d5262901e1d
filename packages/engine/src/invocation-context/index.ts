export * from "./create-invocation-context.js";
export * from "./invocation-context-data.js";
export * from "./invocation-event-base.js";
export * from "./model-manager-unavailable.js";
export * from "./progress-image.js";
export * from "./progress-reporter.js";
export * from "./step-callbacks.js";
