import { z } from "zod";

/** Metadata of a named API schema: its component name in `/openapi.json`. */
export interface ApiSchemaMeta {
  id: string;
  description?: string;
}

/** Named request and response schemas of the HTTP API (DTOs, bodies); `/openapi.json` lists each under its id. */
export const apiRegistry = z.registry<ApiSchemaMeta>();

/** Registers a schema under an OpenAPI component name and returns it. */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  apiRegistry.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}

/** Any JSON value (FastAPI's `JsonValue`). */
export const JsonValue = z.unknown();

/** A JSON object with any keys. */
export const JsonObject = z.record(z.string(), z.unknown());

/** `SQLiteDirection`. */
export const SQLiteDirection = named("SQLiteDirection", z.enum(["ASC", "DESC"]));

/** A timestamp as the API writes it (ISO-8601 text). */
export const Timestamp = z.string();
