export * from "./image-record.js";
export * from "./image-record-errors.js";
export * from "./image-list-options.js";
export * from "./image-list-cursor.js";
export * from "./image-records.js";
