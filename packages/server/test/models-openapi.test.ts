import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareOpenApi, type OpenApiLike } from "./support/openapi-comparison.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// InvokeAI's generated schema, read from the shared reference folder at test time (never copied into the repo).
const REFERENCE =
  process.env.INVOKEAI_OPENAPI ?? fileURLToPath(new URL("../../../../shared/invokeai/openapi.json", import.meta.url));

/** Every difference of `/api/v2/models` from InvokeAI that Atelier makes on purpose, with the reason. */
const DELIBERATE: Record<string, string> = {
  "GET /api/v2/models/i/{key}/image content-type":
    "InvokeAI documents the image as JSON (a FastAPI default); the bytes are a WebP image in both",
  "DELETE /api/v2/models/install response":
    "InvokeAI documents FastAPI's default 200 beside its 204; both answer 204 with no body",
};

const PREFIXES = ["/api/v2/models"];

let server: TestServer;
let ours: OpenApiLike;

beforeAll(async () => {
  server = await startTestServer();
  ours = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiLike;
});

afterAll(async () => {
  await server.dispose();
});

describe.skipIf(!existsSync(REFERENCE))("/api/v2/models compared with InvokeAI's openapi.json", () => {
  const theirs = existsSync(REFERENCE)
    ? (JSON.parse(readFileSync(REFERENCE, "utf8")) as OpenApiLike)
    : ({} as OpenApiLike);
  const compare = () =>
    compareOpenApi(ours, theirs, { prefixes: PREFIXES, deliberate: DELIBERATE, ignoredParamLocations: ["cookie"] });

  it("has every model manager operation with InvokeAI's method, path, parameters and response fields", () => {
    expect(compare().differences).toEqual([]);
  });

  it("lists no deliberate difference that no longer exists", () => {
    const { used } = compare();
    expect(Object.keys(DELIBERATE).filter((key) => !used.has(key))).toEqual([]);
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
