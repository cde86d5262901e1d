import { AtelierError } from "@atelier/core";
import type { ModelConfig } from "../configs/model-config.js";
import type { ModelRecords } from "../records/model-records.js";

/** The model is not a main checkpoint, the only kind InvokeAI converts. */
export class NotAConvertibleModelError extends AtelierError {
  constructor(config: Pick<ModelConfig, "key" | "type" | "format">) {
    super(
      "model_not_convertible",
      `The model with key ${config.key} is not a main checkpoint model (it is ${config.type}/${config.format}); only main checkpoints can be converted`,
      { status: 400, details: { key: config.key, type: config.type, format: config.format } },
    );
  }
}

/** Converting a checkpoint to diffusers is not offered: Atelier does not run diffusers (PyTorch) folders. */
export class ModelConversionUnsupportedError extends AtelierError {
  constructor(config: Pick<ModelConfig, "key" | "name" | "base">) {
    super(
      "model_conversion_unsupported",
      `Model ${config.name} (key ${config.key}, ${config.base}) was not converted: Atelier runs main models as ONNX ` +
        "exports on onnxruntime, and a diffusers folder would be PyTorch weights it cannot run either. Export the " +
        "checkpoint to ONNX instead (e.g. `optimum-cli export onnx --model <diffusers folder> <out>` after diffusers' " +
        "`convert_original_stable_diffusion_to_diffusers.py`) and install the resulting folder.",
      { status: 422, details: { key: config.key } },
    );
  }
}

/**
 * InvokeAI's `PUT /convert/{key}` (checkpoint → diffusers). Unknown keys answer 404, models other than main
 * checkpoints 400 as InvokeAI does; a main checkpoint is refused with 422 and what to do instead.
 */
export async function convertModel(records: ModelRecords, key: string): Promise<ModelConfig> {
  const config = await records.get(key);
  if (config.type !== "main" || config.format !== "checkpoint") throw new NotAConvertibleModelError(config);
  throw new ModelConversionUnsupportedError(config);
}
