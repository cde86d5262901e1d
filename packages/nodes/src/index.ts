export {};
export * from "./image-nodes.js";
export * from "./logic-nodes.js";
export * from "./batch/expand-batch-nodes.js";
export * from "./batch/batch-errors.js";
export * from "./prompts/dynamic-prompts.js";
export * from "./latents/interpolate.js";
