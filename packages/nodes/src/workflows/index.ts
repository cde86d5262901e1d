export * from "./workflow-builder.js";
export * from "./default-workflows.js";
