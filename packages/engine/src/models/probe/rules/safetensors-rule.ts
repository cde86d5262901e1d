import { KeyView, noMatch, type IdentificationRule, type RuleOutcome } from "../identification-rule.js";
import type { ModelOnDisk } from "../model-on-disk.js";

/** A rule over the tensor names of a single `.safetensors` file (or of the other header formats it lists). */
export function safetensorsRule(
  name: string,
  identify: (keys: KeyView, model: ModelOnDisk) => RuleOutcome | Promise<RuleOutcome>,
  extensions: readonly string[] = [".safetensors"],
): IdentificationRule {
  return {
    name,
    target: "file",
    async identify(model) {
      if (model.isDirectory || !extensions.includes(model.extension))
        return noMatch(`not a ${extensions.join(" or ")} file`);
      return identify(new KeyView(await model.stateDictKeys()), model);
    },
  };
}
