import type { z } from "zod";
import type { AnyRouteSpec } from "../http/route-spec.js";
import { isOptional, objectShape, registryComponents, toOpenApiSchema } from "./json-schema.js";
import type { JsonSchema } from "./json-schema.js";

/** The parts of an OpenAPI 3.1 document Atelier produces. */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; description: string; version: string };
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** Inputs of the document builder. */
export interface OpenApiInputs {
  routes: readonly AnyRouteSpec[];
  /** Named API schemas (DTOs, bodies): each registered schema's `id` is its component name. */
  registry: z.core.$ZodRegistry<{ id?: string }>;
  /** Ready-made component schemas (every node and output from core, field models, extra InvokeAI schemas). */
  extraSchemas: Record<string, JsonSchema>;
  version: string;
}

const VALIDATION_ERROR: JsonSchema = {
  title: "HTTPValidationError",
  type: "object",
  properties: {
    detail: {
      type: "array",
      items: {
        type: "object",
        properties: {
          loc: { type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } },
          msg: { type: "string" },
          type: { type: "string" },
        },
        required: ["loc", "msg", "type"],
      },
    },
    code: { type: "string" },
    message: { type: "string" },
  },
};

function parametersOf(
  schema: z.ZodType | undefined,
  location: "path" | "query",
  registry: OpenApiInputs["registry"],
  components: Record<string, JsonSchema>,
): JsonSchema[] {
  const shape = schema === undefined ? undefined : objectShape(schema);
  if (shape === undefined) return [];
  return Object.entries(shape).map(([name, field]) => {
    const fieldSchema = toOpenApiSchema(field, registry, components, "input");
    const description = typeof fieldSchema.description === "string" ? fieldSchema.description : undefined;
    return {
      name,
      in: location,
      required: location === "path" || !isOptional(field),
      schema: fieldSchema,
      ...(description === undefined ? {} : { description }),
    };
  });
}

/** Builds `/openapi.json` from the route table and the component schemas. */
export function buildOpenApiDocument(inputs: OpenApiInputs): OpenApiDocument {
  const components: Record<string, JsonSchema> = { ...inputs.extraSchemas, HTTPValidationError: VALIDATION_ERROR };
  const paths: OpenApiDocument["paths"] = {};
  for (const route of inputs.routes) {
    const operation: JsonSchema = {
      tags: [route.tag],
      summary: route.summary,
      ...(route.description === undefined ? {} : { description: route.description }),
      operationId: route.operationId,
    };
    const parameters = [
      ...parametersOf(route.params, "path", inputs.registry, components),
      ...parametersOf(route.query, "query", inputs.registry, components),
    ];
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.body !== undefined) {
      const contentType = route.bodyContentType ?? "application/json";
      operation.requestBody = {
        required: route.bodyRequired ?? true,
        content: { [contentType]: { schema: toOpenApiSchema(route.body, inputs.registry, components, "input") } },
      };
    }
    const response = route.response ?? {};
    const contentType = response.contentType ?? "application/json";
    const schema = response.schema ? toOpenApiSchema(response.schema, inputs.registry, components, "output") : {};
    operation.responses = {
      [String(response.status ?? 200)]: {
        description: response.description ?? "Successful Response",
        content: { [contentType]: { schema } },
      },
      "422": {
        description: "Validation Error",
        content: { "application/json": { schema: { $ref: "#/components/schemas/HTTPValidationError" } } },
      },
    };
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = operation;
  }
  for (const [name, schema] of Object.entries(registryComponents(inputs.registry))) {
    if (!(name in components)) components[name] = schema;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Atelier",
      description: "A node engine for image generation (InvokeAI-compatible API)",
      version: inputs.version,
    },
    paths,
    components: { schemas: components },
  };
}
