import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NodeRegistry, buildComponentSchemas, registerCoreNodes } from "@atelier/core";
import { defineRoute } from "../src/http/route-spec.js";
import { buildOpenApiDocument } from "../src/openapi/openapi-document.js";
import { apiRegistry } from "../src/schemas/api-registry.js";
import { workflowRoutes } from "../src/routes/workflow-routes.js";
import "../src/schemas/event-schemas.js";
import type { WorkflowLibrary } from "@atelier/engine";

function coreSchemas() {
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  return buildComponentSchemas(registry);
}

describe("buildOpenApiDocument", () => {
  const doc = buildOpenApiDocument({
    routes: [
      ...workflowRoutes({ workflows: {} as WorkflowLibrary }),
      defineRoute({
        method: "GET",
        path: "/api/v1/things/{thing_id}",
        operationId: "get_thing",
        tag: "things",
        summary: "Get Thing",
        params: z.object({ thing_id: z.string().describe("The thing") }),
        query: z.object({ limit: z.number().int().default(10), flag: z.boolean().optional(), must: z.string() }),
        response: { schema: z.object({ n: z.number().int() }) },
        handler: () => ({ n: 1 }),
      }),
    ],
    registry: apiRegistry,
    extraSchemas: coreSchemas(),
    version: "9.9.9",
  });

  it("lists each operation under its path and method with InvokeAI's operation ids", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe("9.9.9");
    expect(doc.paths["/api/v1/workflows/"].post.operationId).toBe("create_workflow");
    expect(doc.paths["/api/v1/workflows/"].get.operationId).toBe("list_workflows");
    expect(Object.keys(doc.paths["/api/v1/workflows/i/{workflow_id}"]).sort()).toEqual(["delete", "get", "patch"]);
  });

  it("describes path and query parameters with their requiredness and schemas", () => {
    const params = doc.paths["/api/v1/things/{thing_id}"].get.parameters as {
      name: string;
      in: string;
      required: boolean;
      schema: Record<string, unknown>;
      description?: string;
    }[];
    expect(params.map((p) => [p.name, p.in, p.required])).toEqual([
      ["thing_id", "path", true],
      ["limit", "query", false],
      ["flag", "query", false],
      ["must", "query", true],
    ]);
    expect(params[0].description).toBe("The thing");
    expect(params[1].schema).toMatchObject({ type: "integer", default: 10 });
    expect(params[1].schema).not.toHaveProperty("minimum");
  });

  it("refers to named schemas by $ref and lists them in components", () => {
    const create = doc.paths["/api/v1/workflows/"].post as {
      requestBody: { content: Record<string, { schema: unknown }> };
      responses: Record<string, { content: Record<string, { schema: unknown }> }>;
    };
    expect(create.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/Body_create_workflow",
    });
    expect(create.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/WorkflowRecordDTO",
    });
    const dto = doc.components.schemas.WorkflowRecordDTO as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(dto.properties)).toContain("workflow_id");
    expect(dto.properties.workflow).toMatchObject({ $ref: "#/components/schemas/Workflow" });
    expect(JSON.stringify(doc)).not.toContain("#/$defs/");
    const thumb = doc.paths["/api/v1/workflows/i/{workflow_id}/thumbnail"].put as {
      requestBody: { content: Record<string, unknown> };
    };
    expect(Object.keys(thumb.requestBody.content)).toEqual(["multipart/form-data"]);
  });

  it("includes every node and output schema from core and the event models", () => {
    const schemas = doc.components.schemas;
    const iterate = schemas.IterateInvocation as {
      class: string;
      output: { $ref: string };
      properties: Record<string, { default?: unknown }>;
    };
    expect(iterate.class).toBe("invocation");
    expect(iterate.properties.type.default).toBe("iterate");
    expect(schemas[iterate.output.$ref.split("/").pop()!]).toMatchObject({ class: "output" });
    expect(schemas.InvocationOutputMap).toBeDefined();
    expect(schemas.InvocationCompleteEvent).toBeDefined();
    expect(schemas.QueueItemStatusChangedEvent).toBeDefined();
    expect(schemas.ProgressImage).toMatchObject({ required: ["width", "height", "dataURL"] });
    expect(schemas.HTTPValidationError).toBeDefined();
  });
});
