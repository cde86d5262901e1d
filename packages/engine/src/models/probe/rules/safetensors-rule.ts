import { KeyView, noMatch, type IdentificationRule, type RuleOutcome } from "../identification-rule.js";
import type { ModelOnDisk } from "../model-on-disk.js";

/** A rule over the tensor names of a single `.safetensors` file (other files are not a match). */
export function safetensorsRule(
  name: string,
  identify: (keys: KeyView, model: ModelOnDisk) => RuleOutcome | Promise<RuleOutcome>,
): IdentificationRule {
  return {
    name,
    target: "file",
    async identify(model) {
      if (model.isDirectory || model.extension !== ".safetensors") return noMatch("not a .safetensors file");
      return identify(new KeyView(await model.stateDictKeys()), model);
    },
  };
}
