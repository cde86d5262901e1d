import type { ConditioningFieldData } from "@atelier/core";
import { conditioningCodec } from "./conditioning-codec.js";
import { ObjectStore, type ObjectStoreOptions } from "./object-store.js";

/**
 * Conditioning saved by nodes (`ConditioningFieldData_<uuid>`): each as one safetensors file under
 * `conditioning/` whose metadata describes the structure; kept across restarts.
 */
export class ConditioningStore extends ObjectStore<ConditioningFieldData> {
  constructor(options: ObjectStoreOptions) {
    super({ kind: "ConditioningFieldData", folder: "conditioning" }, conditioningCodec, options);
  }
}
