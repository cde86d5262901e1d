import { FLUX_NODES } from "../../src/index.js";
import { describeSchemaComparison } from "../support/invokeai-schema-comparison.js";

// The FLUX nodes against InvokeAI's generated schema.
const NODES = FLUX_NODES;

/** Known, deliberate differences from InvokeAI's schema: "<type id>.<path>" → reason. Anything not listed fails. */
const CORE_OWNED =
  "@atelier/core's field models shorten InvokeAI's long docstrings and give seamless_axes its default (owned by the SDK)";
const ALLOWED_DIFFERENCES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(NODES.map((def) => [`${def.type}.$defs.BaseModelType`, CORE_OWNED])),
  ...Object.fromEntries(
    ["flux_model_loader", "flux_denoise", "flux_vae_decode", "flux_vae_encode"].map((type) => [
      `${type}.$defs.VAEField`,
      CORE_OWNED,
    ]),
  ),
};

describeSchemaComparison("FLUX node schemas match InvokeAI's openapi.json", NODES, ALLOWED_DIFFERENCES);
