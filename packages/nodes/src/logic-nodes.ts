/**
 * The built-in nodes that need no model and no image work: primitives, math, strings and prompts, collections,
 * batch and generator nodes, metadata, and model-free latent nodes. The image nodes live in image-nodes.ts.
 */
import type { AnyInvocationDefinition } from "@atelier/core";
import { BATCH_NODES } from "./batch/batch-nodes.js";
import { COLLECTION_NODES } from "./collections/collection-nodes.js";
import { LATENT_NODES } from "./latents/latent-nodes.js";
import { MATH_NODES } from "./math/math-nodes.js";
import { METADATA_NODES } from "./metadata/metadata-nodes.js";
import { PRIMITIVE_NODES } from "./primitives/primitive-nodes.js";
import { PROMPT_NODES } from "./prompts/prompt-nodes.js";
import { STRING_NODES } from "./strings/string-nodes.js";

/** Every node defined by this part of @atelier/nodes. */
export const LOGIC_NODES: readonly AnyInvocationDefinition[] = [
  ...PRIMITIVE_NODES,
  ...MATH_NODES,
  ...STRING_NODES,
  ...PROMPT_NODES,
  ...COLLECTION_NODES,
  ...BATCH_NODES,
  ...METADATA_NODES,
  ...LATENT_NODES,
] as readonly AnyInvocationDefinition[];
