export * from "./blob-errors.js";
export * from "./blob-keys.js";
export * from "./blob-store.js";
export * from "./fs-blob-store.js";
