export * from "./tokenizers/index.js";
export * from "./schedulers/index.js";
