export * from "./onnx-errors.js";
export * from "./protobuf-wire.js";
export * from "./onnx-model-file.js";
export * from "./onnx-weight-index.js";
export * from "./lora-layers.js";
export * from "./ldm-unet-names.js";
export * from "./onnx-lora-patch.js";
export * from "./onnx-lora-session.js";
