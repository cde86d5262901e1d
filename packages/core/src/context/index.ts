export * from "./board-dto.js";
export * from "./conditioning-data.js";
export * from "./image-dto.js";
export * from "./invocation-context.js";
export * from "./progress-image.js";
