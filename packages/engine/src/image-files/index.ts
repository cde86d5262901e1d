export * from "./image-codec.js";
export * from "./image-errors.js";
export * from "./image-files.js";
export * from "./image-mode.js";
export * from "./png-text-chunks.js";
export * from "./png-encoder.js";
