export * from "./board-errors.js";
export * from "./board-image-records.js";
export * from "./board-service.js";
