import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowLibrary, openDatabase, type OpenedDatabase } from "@atelier/engine";
import { buildServer, type AtelierServer } from "../src/build-server.js";
import { workflowRoutes } from "../src/routes/workflow-routes.js";

let dir: string;
let opened: OpenedDatabase;
let server: AtelierServer;

function workflow(name: string, tags = "", category: "user" | "default" = "user"): Record<string, unknown> {
  return {
    name,
    author: "t",
    description: `about ${name}`,
    version: "1",
    contact: "",
    tags,
    notes: "",
    exposedFields: [],
    meta: { version: "3.0.0", category },
    nodes: [],
    edges: [],
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "atelier-wf-routes-"));
  opened = await openDatabase({ db_backend: "sqlite", paths: { db: join(dir, "atelier.db") } });
  const workflows = new WorkflowLibrary(opened.db, { thumbnailsDir: join(dir, "thumbs") });
  server = await buildServer({
    version: "0.0.0-test",
    root: dir,
    routes: workflowRoutes({ workflows }),
    nodeSchemas: () => ({}),
    subscribeEvents: () => () => undefined,
    uploadMaxBytes: 1024,
  });
});

afterAll(async () => {
  await server.close();
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("/api/v1/workflows", () => {
  it("creates, lists, gets, updates, opens and deletes", async () => {
    const created = await server.app.inject({
      method: "POST",
      url: "/api/v1/workflows/",
      payload: { workflow: workflow("One", "a, b") },
    });
    expect(created.statusCode).toBe(200);
    const record = created.json();
    expect(Object.keys(record).sort()).toEqual(
      [
        "created_at",
        "is_public",
        "name",
        "opened_at",
        "thumbnail_url",
        "updated_at",
        "user_id",
        "workflow",
        "workflow_id",
      ].sort(),
    );
    const id = record.workflow_id as string;

    await server.app.inject({ method: "POST", url: "/api/v1/workflows", payload: { workflow: workflow("Two", "b") } });
    const list = await server.app.inject({
      method: "GET",
      url: "/api/v1/workflows/?page=0&per_page=1&order_by=name&direction=DESC",
    });
    expect(list.statusCode).toBe(200);
    const page = list.json();
    expect(page).toMatchObject({ page: 0, pages: 2, per_page: 1, total: 2 });
    expect(page.items[0].name).toBe("Two");
    expect(Object.keys(page.items[0]).sort()).toEqual(
      [
        "category",
        "created_at",
        "description",
        "is_public",
        "name",
        "opened_at",
        "tags",
        "thumbnail_url",
        "updated_at",
        "user_id",
        "workflow_id",
      ].sort(),
    );

    const byTag = await server.app.inject({ method: "GET", url: "/api/v1/workflows/?tags=a&categories=user" });
    expect(byTag.json().items.map((i: { name: string }) => i.name)).toEqual(["One"]);
    const counts = await server.app.inject({
      method: "GET",
      url: "/api/v1/workflows/counts_by_tag?tags=a&tags=b&tags=z",
    });
    expect(counts.json()).toEqual({ a: 1, b: 2, z: 0 });
    const cats = await server.app.inject({
      method: "GET",
      url: "/api/v1/workflows/counts_by_category?categories=user&categories=default",
    });
    expect(cats.json()).toEqual({ user: 2, default: 0 });
    expect((await server.app.inject({ method: "GET", url: "/api/v1/workflows/tags" })).json()).toEqual(["a", "b"]);

    const fetched = await server.app.inject({ method: "GET", url: `/api/v1/workflows/i/${id}` });
    const patched = await server.app.inject({
      method: "PATCH",
      url: `/api/v1/workflows/i/${id}`,
      payload: { workflow: { ...fetched.json().workflow, name: "Uno" } },
    });
    expect(patched.json().name).toBe("Uno");
    expect((await server.app.inject({ method: "PUT", url: `/api/v1/workflows/i/${id}/opened_at` })).statusCode).toBe(
      200,
    );
    const recent = await server.app.inject({ method: "GET", url: "/api/v1/workflows/?has_been_opened=true" });
    expect(recent.json().items.map((i: { workflow_id: string }) => i.workflow_id)).toEqual([id]);
    const shared = await server.app.inject({
      method: "PATCH",
      url: `/api/v1/workflows/i/${id}/is_public`,
      payload: { is_public: true },
    });
    expect(shared.json().is_public).toBe(true);

    expect((await server.app.inject({ method: "DELETE", url: `/api/v1/workflows/i/${id}` })).statusCode).toBe(200);
    const gone = await server.app.inject({ method: "GET", url: `/api/v1/workflows/i/${id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ code: "workflow_not_found" });
    expect(gone.json().message).toContain(id);
  });

  it("answers bad input with 4xx bodies naming the field", async () => {
    const noBody = await server.app.inject({ method: "POST", url: "/api/v1/workflows/" });
    expect(noBody.statusCode).toBe(422);
    expect(noBody.json().detail[0].loc).toEqual(["body"]);
    const badNodes = await server.app.inject({
      method: "POST",
      url: "/api/v1/workflows/",
      payload: { workflow: { ...workflow("x"), nodes: 3 } },
    });
    expect(badNodes.statusCode).toBe(422);
    expect(badNodes.json().detail[0].loc).toEqual(["body", "workflow", "nodes"]);
    const badPage = await server.app.inject({ method: "GET", url: "/api/v1/workflows/?page=abc" });
    expect(badPage.statusCode).toBe(422);
    expect(badPage.json().detail[0].loc).toEqual(["query", "page"]);
    const badOrder = await server.app.inject({ method: "GET", url: "/api/v1/workflows/?order_by=color" });
    expect(badOrder.json().message).toContain("query.order_by");
    const missingTags = await server.app.inject({ method: "GET", url: "/api/v1/workflows/counts_by_tag" });
    expect(missingTags.statusCode).toBe(422);
    expect(missingTags.json().detail[0].loc).toEqual(["query", "tags"]);
    const badJson = await server.app.inject({
      method: "POST",
      url: "/api/v1/workflows/",
      headers: { "content-type": "application/json" },
      payload: "{not json",
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().code).toBe("invalid_json_body");
    const poisoned = await server.app.inject({
      method: "POST",
      url: "/api/v1/workflows/",
      headers: { "content-type": "application/json" },
      payload: '{"workflow": {"__proto__": {"admin": true}}}',
    });
    expect(poisoned.statusCode).toBe(400);
    const emptyJson = await server.app.inject({
      method: "GET",
      url: "/api/v1/workflows/tags",
      headers: { "content-type": "application/json" },
      payload: "",
    });
    expect(emptyJson.statusCode).toBe(200);
    const defaultCategory = await server.app.inject({
      method: "POST",
      url: "/api/v1/workflows/",
      payload: { workflow: workflow("d", "", "default") },
    });
    expect(defaultCategory.statusCode).toBe(409);
    const unknownRoute = await server.app.inject({ method: "GET", url: "/api/v1/nothing" });
    expect(unknownRoute.statusCode).toBe(404);
    expect(unknownRoute.json().code).toBe("route_not_found");
  });

  it("stores thumbnails through multipart uploads and enforces the upload limit", async () => {
    const id = (
      await server.app.inject({ method: "POST", url: "/api/v1/workflows/", payload: { workflow: workflow("Thumb") } })
    ).json().workflow_id;
    const png = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), Buffer.alloc(40)]);
    const form = new FormData();
    form.append("image", new Blob([png], { type: "image/png" }), "t.png");
    const request = new Request("http://x/", { method: "PUT", body: form });
    const body = Buffer.from(await request.arrayBuffer());
    const put = await server.app.inject({
      method: "PUT",
      url: `/api/v1/workflows/i/${id}/thumbnail`,
      headers: { "content-type": request.headers.get("content-type")! },
      payload: body,
    });
    expect(put.statusCode).toBe(200);
    const get = await server.app.inject({ method: "GET", url: `/api/v1/workflows/i/${id}/thumbnail` });
    expect(get.statusCode).toBe(200);
    expect(get.headers["content-type"]).toBe("image/png");
    expect(Buffer.compare(get.rawPayload, png)).toBe(0);

    const big = new FormData();
    big.append("image", new Blob([Buffer.alloc(4096, 1)], { type: "image/png" }), "big.png");
    const bigRequest = new Request("http://x/", { method: "PUT", body: big });
    const tooBig = await server.app.inject({
      method: "PUT",
      url: `/api/v1/workflows/i/${id}/thumbnail`,
      headers: { "content-type": bigRequest.headers.get("content-type")! },
      payload: Buffer.from(await bigRequest.arrayBuffer()),
    });
    expect(tooBig.statusCode).toBe(413);
    const noFile = await server.app.inject({ method: "PUT", url: `/api/v1/workflows/i/${id}/thumbnail`, payload: {} });
    expect(noFile.statusCode).toBe(422);
    const removed = await server.app.inject({ method: "DELETE", url: `/api/v1/workflows/i/${id}/thumbnail` });
    expect(removed.json().thumbnail_url).toBeNull();
    const missing = await server.app.inject({ method: "GET", url: `/api/v1/workflows/i/${id}/thumbnail` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe("workflow_thumbnail_not_found");
  });
});
