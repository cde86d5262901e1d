import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareOpenApi, type OpenApiLike } from "./support/openapi-comparison.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// InvokeAI's generated schema, read from the shared reference folder at test time (never copied into the repo).
const REFERENCE =
  process.env.INVOKEAI_OPENAPI ?? fileURLToPath(new URL("../../../../shared/invokeai/openapi.json", import.meta.url));

/** Every difference from InvokeAI that Atelier makes on purpose, with the reason. */
const DELIBERATE: Record<string, string> = {
  "POST /api/v1/images/":
    "presigned upload entries exist for InvokeAI's hosted storage; uploads go through /images/upload",
  "POST /api/v1/images/download": "bulk zip downloads are not implemented yet",
  "GET /api/v1/images/download/{bulk_download_item_name}": "bulk zip downloads are not implemented yet",
  "GET /api/v1/app/generation_device_options": "multi-GPU generation devices are an InvokeAI HEAD extra",
  "PATCH /api/v1/app/runtime_config":
    "the config is read at start-up from atelier.yaml and the environment; it is not changed at run time",
  "GET /api/v1/app/external_providers/status": "external API providers are an InvokeAI HEAD extra",
  "GET /api/v1/app/external_providers/config": "external API providers are an InvokeAI HEAD extra",
  "POST /api/v1/app/external_providers/config/{provider_id}": "external API providers are an InvokeAI HEAD extra",
  "DELETE /api/v1/app/external_providers/config/{provider_id}": "external API providers are an InvokeAI HEAD extra",
  "GET /api/v1/workflows/ param:callable":
    "call_saved_workflow is an InvokeAI HEAD extra; Atelier runs saved workflows via /workflows/i/{id}/run",
  "GET /api/v1/workflows/i/{workflow_id}/thumbnail content-type":
    "InvokeAI documents the thumbnail as JSON (a FastAPI default); the bytes are an image in both",
  "GET /api/v1/style_presets/i/{style_preset_id}/image content-type":
    "InvokeAI documents the preset image as JSON (a FastAPI default); the bytes are a WebP image in both",
  "GET /api/v1/style_presets/export content-type":
    "InvokeAI lists a FastAPI default JSON entry before text/csv; the body is CSV in both",
};

// Differences inside fields the coarse comparison does not see, documented here:
// - runtime_config `config` holds Atelier's config keys (atelier.yaml), not InvokeAI's InvokeAIAppConfig fields;
// - a queue item's `session` holds Atelier's ExecutionState JSON (graph, results, errors, executed_history,
//   source_prepared_mapping, log) rather than InvokeAI's GraphExecutionState (no execution_graph).

const PREFIXES = [
  "/api/v1/images",
  "/api/v1/boards",
  "/api/v1/board_images",
  "/api/v1/queue",
  "/api/v1/app",
  "/api/v1/workflows",
  "/api/v1/utilities/dynamicprompts",
  "/api/v1/style_presets",
];

let server: TestServer;
let ours: OpenApiLike;

beforeAll(async () => {
  server = await startTestServer();
  ours = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiLike;
});

afterAll(async () => {
  await server.dispose();
});

describe("the served /openapi.json, /docs and /", () => {
  it("includes every registered node and output schema for schema-driven UIs", () => {
    const schemas = ours.components.schemas;
    const nodes = Object.values(schemas).filter((s) => s.class === "invocation");
    const types = nodes.map((s) => (s.properties as Record<string, { default?: unknown }>).type.default);
    for (const type of [
      "iterate",
      "collect",
      "add",
      "integer",
      "img_resize",
      "blank_image",
      "save_image",
      "test_sleep",
    ]) {
      expect(types).toContain(type);
    }
    for (const node of nodes) {
      const output = (node.output as { $ref: string }).$ref.split("/").pop()!;
      expect(schemas[output]?.class).toBe("output");
    }
    const map = schemas.InvocationOutputMap as { properties: Record<string, unknown> };
    expect(Object.keys(map.properties).sort()).toEqual([...types].sort());
    const resize = nodes.find(
      (s) => (s.properties as Record<string, { default?: unknown }>).type.default === "img_resize",
    );
    expect(resize).toMatchObject({ class: "invocation", category: "image", node_pack: "invokeai" });
  });

  it("publishes InvokeAI's UI models and resolves every $ref it contains", () => {
    for (const name of [
      "UIConfigBase",
      "InputFieldJSONSchemaExtra",
      "OutputFieldJSONSchemaExtra",
      "ProgressImage",
      "InvocationCompleteEvent",
    ]) {
      expect(ours.components.schemas[name]).toBeDefined();
    }
    const refs = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === "object" && node !== null) {
        for (const [key, value] of Object.entries(node)) {
          if (key === "$ref" && typeof value === "string") refs.add(value);
          else walk(value);
        }
      }
    };
    walk(ours);
    const dangling = [...refs].filter(
      (r) => !(r.startsWith("#/components/schemas/") && r.split("/").pop()! in ours.components.schemas),
    );
    expect(dangling).toEqual([]);
  });

  it("serves a docs page and a status page that link to each other", async () => {
    const docs = await fetch(`${server.url}/docs`);
    expect(docs.headers.get("content-type")).toContain("text/html");
    expect(await docs.text()).toContain("/openapi.json");
    const home = await (await fetch(`${server.url}/`)).text();
    expect(home).toContain("is running");
    expect(home).toContain('href="/docs"');
    expect(home).toContain("/api/v1/queue/default/status");
  });
});

describe.skipIf(!existsSync(REFERENCE))("routes compared with InvokeAI's openapi.json", () => {
  const theirs = existsSync(REFERENCE)
    ? (JSON.parse(readFileSync(REFERENCE, "utf8")) as OpenApiLike)
    : ({} as OpenApiLike);

  it("has every core operation with InvokeAI's method, path, parameters and response fields", () => {
    const { differences } = compareOpenApi(ours, theirs, {
      prefixes: PREFIXES,
      deliberate: DELIBERATE,
      ignoredParamLocations: ["cookie"],
    });
    expect(differences).toEqual([]);
  });

  it("lists no deliberate difference that no longer exists", () => {
    const { used } = compareOpenApi(ours, theirs, {
      prefixes: PREFIXES,
      deliberate: DELIBERATE,
      ignoredParamLocations: ["cookie"],
    });
    const stale = Object.keys(DELIBERATE).filter((key) => !used.has(key));
    expect(stale).toEqual([]);
  });

  it("uses InvokeAI's operation ids", () => {
    const mismatched: string[] = [];
    for (const [path, ops] of Object.entries(theirs.paths)) {
      if (!PREFIXES.some((p) => path.startsWith(p))) continue;
      for (const [method, op] of Object.entries(ops)) {
        const mine = ours.paths[path]?.[method];
        if (mine !== undefined && mine.operationId !== op.operationId)
          mismatched.push(`${method} ${path}: ${String(mine.operationId)}`);
      }
    }
    expect(mismatched).toEqual([]);
  });
});
