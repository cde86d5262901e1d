export * from "./config-schema.js";
export * from "./config-error.js";
export * from "./config-field-check.js";
export * from "./config-env.js";
export * from "./config-file.js";
export * from "./config-paths.js";
export * from "./load-config.js";
