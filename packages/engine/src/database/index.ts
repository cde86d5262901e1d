export * from "./database-schema.js";
export * from "./database-values.js";
export * from "./database-errors.js";
export * from "./migration.js";
export * from "./migrations/index.js";
export * from "./migrator.js";
export * from "./open-database.js";
