export * from "./style-preset-csv.js";
export * from "./style-preset-errors.js";
export * from "./style-preset-service.js";
export * from "./style-preset-types.js";
