export * from "./embedded-documents.js";
export * from "./image-dto.js";
export * from "./image-service.js";
export * from "./image-subfolder.js";
export * from "./image-upload-errors.js";
export * from "./upload-transforms.js";
