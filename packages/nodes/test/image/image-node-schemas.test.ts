import { IMAGE_NODES } from "../../src/image-nodes.js";
import { describeSchemaComparison } from "../support/invokeai-schema-comparison.js";

/**
 * Known, deliberate differences from InvokeAI's schema: "<type id>.<path>" → reason. Anything not listed fails.
 */
const CORE_BBOX =
  "@atelier/core's BoundingBoxField shortens the description of `score` (owned by the SDK, reported there)";
const ALLOWED_DIFFERENCES: Readonly<Record<string, string>> = {
  "crop_image_to_bounding_box.$defs.BoundingBoxField": CORE_BBOX,
  "paste_image_into_bounding_box.$defs.BoundingBoxField": CORE_BBOX,
  "get_image_mask_bounding_box.$defs.BoundingBoxField": CORE_BBOX,
};

describeSchemaComparison("image node schemas match InvokeAI's openapi.json", IMAGE_NODES, ALLOWED_DIFFERENCES);
