export * from "./tokenizer-errors.js";
export * from "./text-tokenizer.js";
export * from "./load-tokenizer.js";
export * from "./precompiled-charsmap.js";
