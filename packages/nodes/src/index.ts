import { IMAGE_NODES } from "./image-nodes.js";
import { LOGIC_NODES } from "./logic-nodes.js";
import { GENERATION_NODES } from "./generation/index.js";

export * from "./image-nodes.js";
export * from "./logic-nodes.js";
export * from "./batch/expand-batch-nodes.js";
export * from "./batch/batch-errors.js";
export * from "./prompts/dynamic-prompts.js";
export * from "./latents/interpolate.js";
export * from "./generation/index.js";

/** Every built-in node definition, ready to register. */
export const BUILTIN_NODES = [...LOGIC_NODES, ...IMAGE_NODES, ...GENERATION_NODES] as const;
export * from "./prompts/prompt-template-node.js";
export * from "./metadata/metadata-model-nodes.js";
export * from "./workflows/index.js";
