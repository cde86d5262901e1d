export * from "./invocation-stats.js";
