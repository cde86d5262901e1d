export * from "./workflow-types.js";
export * from "./workflow-errors.js";
export * from "./workflow-document.js";
export * from "./workflow-to-graph.js";
export * from "./run-inputs.js";
export * from "./workflow-library.js";
export * from "./headless-run.js";
export * from "./model-inputs.js";
