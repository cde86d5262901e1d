export * from "./invocation-cache.js";
