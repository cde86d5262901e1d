import { AtelierError } from "@atelier/core";

/** An ONNX file could not be read as a ModelProto (truncated, not ONNX, or a layout this reader does not know). */
export class OnnxFormatError extends AtelierError {
  constructor(where: string, reason: string) {
    super("onnx_format", `Cannot read ONNX model ${where}: ${reason}`, { status: 422, details: { where } });
  }
}

/** A LoRA cannot be merged into an ONNX model (unknown key style, unsupported layer kind, shape mismatch). */
export class LoraPatchError extends AtelierError {
  constructor(what: string, reason: string, details: Record<string, unknown> = {}) {
    super("lora_patch", `Cannot apply ${what}: ${reason}`, { status: 422, details });
  }
}
