export * from "./conditioning-codec.js";
export * from "./conditioning-data.js";
export * from "./conditioning-store.js";
export * from "./lru-cache.js";
export * from "./object-store.js";
export * from "./object-store-errors.js";
export * from "./tensor-store.js";
