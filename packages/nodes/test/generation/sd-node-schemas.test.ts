// Schemas of the SD nodes (i2l, l2i, compel, model loaders and pickers, mask nodes) against InvokeAI's openapi.json.
import { CompelInvocation } from "../../src/generation/compel-node.js";
import { LatentsToImageInvocation } from "../../src/generation/latents-to-image-node.js";
import { MainModelLoaderInvocation } from "../../src/generation/model-loader-nodes.js";
import { SD_SUPPORT_NODES } from "../../src/generation/sd-support-nodes.js";
import { describeSchemaComparison } from "../support/invokeai-schema-comparison.js";

const SD_NODES = [...SD_SUPPORT_NODES, CompelInvocation, LatentsToImageInvocation, MainModelLoaderInvocation];

/**
 * Known, deliberate differences from InvokeAI's schema: "<type id>.<path>" → reason. Anything not listed fails.
 */
const CORE_OWNED =
  "@atelier/core's field models shorten InvokeAI's long docstrings and give seamless_axes its default (owned by the SDK)";
const ALLOWED_DIFFERENCES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    SD_NODES.filter((def) => def.type !== "scheduler").map((def) => [`${def.type}.$defs.BaseModelType`, CORE_OWNED]),
  ),
  ...Object.fromEntries(
    ["create_denoise_mask", "create_gradient_mask", "i2l", "l2i", "main_model_loader", "vae_loader"].map((type) => [
      `${type}.$defs.VAEField`,
      CORE_OWNED,
    ]),
  ),
  ...Object.fromEntries(
    ["create_gradient_mask", "main_model_loader"].flatMap((type) =>
      ["UNetField", "FreeUConfig"].map((name) => [`${type}.$defs.${name}`, CORE_OWNED]),
    ),
  ),
};

describeSchemaComparison("SD generation node schemas match InvokeAI's openapi.json", SD_NODES, ALLOWED_DIFFERENCES);
