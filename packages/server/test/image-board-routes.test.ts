import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeRegistry, registerCoreNodes } from "@atelier/core";
import { createServices, type Services } from "@atelier/engine";
import { boardsPort } from "../src/adapters/boards-port.js";
import { imagesPort } from "../src/adapters/images-port.js";
import { buildServer, type AtelierServer } from "../src/build-server.js";
import { boardImageRoutes, boardRoutes } from "../src/routes/board-routes.js";
import { imageRoutes } from "../src/routes/image-routes.js";
import { multipartBody } from "./support/multipart.js";
import { gradientPng } from "./support/test-images.js";

let root: string;
let services: Services;
let server: AtelierServer;

const IMAGE_DTO_FIELDS = [
  "image_name",
  "image_url",
  "thumbnail_url",
  "image_origin",
  "image_category",
  "width",
  "height",
  "created_at",
  "updated_at",
  "is_intermediate",
  "starred",
  "has_workflow",
];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "atelier-image-routes-"));
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  services = await createServices({
    root,
    env: {},
    loadNodePacks: false,
    registry,
    logDestination: { write: () => true },
    overrides: { upload_max_bytes: 200_000 },
  });
  const images = imagesPort(services.images);
  const boards = boardsPort(services.boards);
  server = await buildServer({
    version: "test",
    root,
    routes: [...imageRoutes({ images }), ...boardRoutes({ boards }), ...boardImageRoutes({ boards })],
    nodeSchemas: () => ({}),
    subscribeEvents: (l) => services.events.onAny(l),
    uploadMaxBytes: services.config.upload_max_bytes,
  });
});

afterAll(async () => {
  await server.close();
  await services.close();
  rmSync(root, { recursive: true, force: true });
});

async function upload(
  png: Buffer,
  query = "image_category=general&is_intermediate=false",
  fields: Record<string, string> = {},
) {
  const body = await multipartBody(fields, { field: "file", name: "in.png", type: "image/png", bytes: png });
  return server.app.inject({ method: "POST", url: `/api/v1/images/upload?${query}`, ...body });
}

describe("images, boards and board_images routes", () => {
  it("runs the upload → list → star → board → delete round trip", async () => {
    const uploaded = await upload(await gradientPng(), "image_category=general&is_intermediate=false", {
      metadata: JSON.stringify({ prompt: "a gradient" }),
    });
    expect(uploaded.statusCode).toBe(201);
    const dto = uploaded.json();
    for (const field of IMAGE_DTO_FIELDS) expect(dto).toHaveProperty(field);
    expect(dto).toMatchObject({
      width: 32,
      height: 24,
      image_origin: "external",
      image_category: "general",
      starred: false,
    });
    expect(dto.image_url).toBe(`api/v1/images/i/${dto.image_name}/full`);
    const name = dto.image_name as string;

    const list = await server.app.inject({ method: "GET", url: "/api/v1/images/?categories=general&limit=5&offset=0" });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ offset: 0, limit: 5, total: 1 });
    expect(list.json().items[0].image_name).toBe(name);

    const meta = await server.app.inject({ method: "GET", url: `/api/v1/images/i/${name}/metadata` });
    expect(meta.json()).toEqual({ prompt: "a gradient" });

    const star = await server.app.inject({
      method: "POST",
      url: "/api/v1/images/star",
      payload: { image_names: [name] },
    });
    expect(star.json()).toEqual({ affected_boards: ["none"], starred_images: [name] });
    expect((await server.app.inject({ method: "GET", url: `/api/v1/images/i/${name}` })).json().starred).toBe(true);
    const names = await server.app.inject({ method: "GET", url: "/api/v1/images/names?starred_first=true" });
    expect(names.json()).toEqual({ image_names: [name], starred_count: 1, total_count: 1 });

    const board = await server.app.inject({ method: "POST", url: "/api/v1/boards/?board_name=Gradients" });
    expect(board.statusCode).toBe(201);
    const boardId = board.json().board_id as string;
    expect(board.json()).toMatchObject({
      board_name: "Gradients",
      image_count: 0,
      asset_count: 0,
      archived: false,
      cover_image_name: null,
    });
    const added = await server.app.inject({
      method: "POST",
      url: "/api/v1/board_images/",
      payload: { board_id: boardId, image_name: name },
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toEqual({ affected_boards: expect.arrayContaining([boardId]), added_images: [name] });
    const boardNow = (await server.app.inject({ method: "GET", url: `/api/v1/boards/${boardId}` })).json();
    expect(boardNow).toMatchObject({ image_count: 1, cover_image_name: name });
    expect((await server.app.inject({ method: "GET", url: `/api/v1/boards/${boardId}/image_names` })).json()).toEqual([
      name,
    ]);
    expect((await server.app.inject({ method: "GET", url: `/api/v1/images/?board_id=${boardId}` })).json().total).toBe(
      1,
    );
    expect((await server.app.inject({ method: "GET", url: "/api/v1/images/?board_id=none" })).json().total).toBe(0);
    const allBoards = await server.app.inject({ method: "GET", url: "/api/v1/boards/?all=true" });
    expect(allBoards.json().map((b: { board_id: string }) => b.board_id)).toEqual([boardId]);
    const paged = await server.app.inject({ method: "GET", url: "/api/v1/boards/?offset=0&limit=10" });
    expect(paged.json()).toMatchObject({ offset: 0, limit: 10, total: 1 });

    const deleted = await server.app.inject({ method: "DELETE", url: `/api/v1/images/i/${name}` });
    expect(deleted.json()).toEqual({ affected_boards: [boardId], deleted_images: [name] });
    expect((await server.app.inject({ method: "GET", url: `/api/v1/images/i/${name}` })).statusCode).toBe(404);
    expect((await server.app.inject({ method: "GET", url: `/api/v1/boards/${boardId}` })).json().image_count).toBe(0);
    const boardGone = await server.app.inject({ method: "DELETE", url: `/api/v1/boards/${boardId}` });
    expect(boardGone.json()).toMatchObject({ board_id: boardId, deleted_images: [] });
  });

  it("serves full images and thumbnails with long cache headers", async () => {
    const png = await gradientPng(300, 100, 1);
    const name = (await upload(png)).json().image_name as string;
    const full = await server.app.inject({ method: "GET", url: `/api/v1/images/i/${name}/full` });
    expect(full.statusCode).toBe(200);
    expect(full.headers["content-type"]).toBe("image/png");
    expect(full.headers["cache-control"]).toBe("max-age=31536000");
    const decoded = await sharp(full.rawPayload).raw().toBuffer({ resolveWithObject: true });
    expect(decoded.info).toMatchObject({ width: 300, height: 100 });
    const head = await server.app.inject({ method: "HEAD", url: `/api/v1/images/i/${name}/full` });
    expect(head.statusCode).toBe(200);
    expect(Number(head.headers["content-length"])).toBe(full.rawPayload.length);
    const thumb = await server.app.inject({ method: "GET", url: `/api/v1/images/i/${name}/thumbnail` });
    expect(thumb.headers["content-type"]).toBe("image/webp");
    const meta = await sharp(thumb.rawPayload).metadata();
    expect(meta.format).toBe("webp");
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(256);
    const urls = await server.app.inject({ method: "GET", url: `/api/v1/images/i/${name}/urls` });
    expect(urls.json()).toEqual({
      image_name: name,
      image_url: `api/v1/images/i/${name}/full`,
      thumbnail_url: `api/v1/images/i/${name}/thumbnail`,
    });
    const wf = await server.app.inject({ method: "GET", url: `/api/v1/images/i/${name}/workflow` });
    expect(wf.json()).toEqual({ workflow: null, graph: null });
    const byNames = await server.app.inject({
      method: "POST",
      url: "/api/v1/images/images_by_names",
      payload: { image_names: ["nope.png", name] },
    });
    expect(byNames.json().map((d: { image_name: string }) => d.image_name)).toEqual([name]);
    const patched = await server.app.inject({
      method: "PATCH",
      url: `/api/v1/images/i/${name}`,
      payload: { image_category: "user", starred: true },
    });
    expect(patched.json()).toMatchObject({ image_category: "user", starred: true });
    await server.app.inject({ method: "POST", url: "/api/v1/images/delete", payload: { image_names: [name] } });
  });

  it("pages with offsets and with the keyset cursor", async () => {
    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.push((await upload(await gradientPng(8 + i, 8, i))).json().image_name);
    const first = (
      await server.app.inject({ method: "GET", url: "/api/v1/images/?limit=2&starred_first=false" })
    ).json();
    expect(first.items).toHaveLength(2);
    expect(first.total).toBe(3);
    expect(typeof first.next_cursor).toBe("string");
    const second = (
      await server.app.inject({
        method: "GET",
        url: `/api/v1/images/?limit=2&starred_first=false&cursor=${encodeURIComponent(first.next_cursor)}`,
      })
    ).json();
    const byOffset = (
      await server.app.inject({ method: "GET", url: "/api/v1/images/?limit=2&offset=2&starred_first=false" })
    ).json();
    expect(second.items.map((i: { image_name: string }) => i.image_name)).toEqual(
      byOffset.items.map((i: { image_name: string }) => i.image_name),
    );
    const seen = [...first.items, ...second.items].map((i: { image_name: string }) => i.image_name).sort();
    expect(seen).toEqual([...names].sort());
    const bad = await server.app.inject({ method: "GET", url: "/api/v1/images/?cursor=garbage" });
    expect(bad.statusCode).toBeGreaterThanOrEqual(400);
    expect(bad.statusCode).toBeLessThan(500);
    await server.app.inject({ method: "POST", url: "/api/v1/images/delete", payload: { image_names: names } });
  });

  it("counts and clears intermediates, unstars, and deletes uncategorized images", async () => {
    const intermediate = (await upload(await gradientPng(), "image_category=general&is_intermediate=true")).json()
      .image_name as string;
    expect((await server.app.inject({ method: "GET", url: "/api/v1/images/intermediates" })).json()).toBe(1);
    expect((await server.app.inject({ method: "DELETE", url: "/api/v1/images/intermediates" })).json()).toBe(1);
    expect((await server.app.inject({ method: "GET", url: `/api/v1/images/i/${intermediate}` })).statusCode).toBe(404);

    const loose = (await upload(await gradientPng())).json().image_name as string;
    await server.app.inject({ method: "POST", url: "/api/v1/images/star", payload: { image_names: [loose] } });
    const unstar = await server.app.inject({
      method: "POST",
      url: "/api/v1/images/unstar",
      payload: { image_names: [loose] },
    });
    expect(unstar.json()).toEqual({ affected_boards: ["none"], unstarred_images: [loose] });
    const uncategorized = await server.app.inject({ method: "DELETE", url: "/api/v1/images/uncategorized" });
    expect(uncategorized.json().deleted_images).toEqual([loose]);
  });

  it("moves images between boards in batches and renames and archives boards", async () => {
    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.push((await upload(await gradientPng(10, 10, i))).json().image_name);
    const a = (await server.app.inject({ method: "POST", url: "/api/v1/boards/?board_name=A" })).json()
      .board_id as string;
    const b = (await server.app.inject({ method: "POST", url: "/api/v1/boards/?board_name=B" })).json()
      .board_id as string;
    const batch = await server.app.inject({
      method: "POST",
      url: "/api/v1/board_images/batch",
      payload: { board_id: a, image_names: names },
    });
    expect(batch.statusCode).toBe(201);
    expect(batch.json().added_images.sort()).toEqual([...names].sort());
    const moved = await server.app.inject({
      method: "POST",
      url: "/api/v1/board_images/batch",
      payload: { board_id: b, image_names: [names[0]] },
    });
    expect(moved.json().affected_boards.sort()).toEqual([a, b].sort());
    const removed = await server.app.inject({
      method: "DELETE",
      url: "/api/v1/board_images/",
      payload: { image_name: names[1] },
    });
    // The image lands on "no board", so that view is affected too (as InvokeAI reports it).
    expect(removed.json()).toEqual({
      affected_boards: expect.arrayContaining([a, "none"]),
      removed_images: [names[1]],
    });
    const removedMany = await server.app.inject({
      method: "POST",
      url: "/api/v1/board_images/batch/delete",
      payload: { image_names: [names[0], names[2]] },
    });
    expect(removedMany.json().removed_images.sort()).toEqual([names[0], names[2]].sort());
    expect((await server.app.inject({ method: "GET", url: `/api/v1/boards/${a}` })).json().image_count).toBe(0);

    const renamed = await server.app.inject({
      method: "PATCH",
      url: `/api/v1/boards/${a}`,
      payload: { board_name: "Renamed", archived: true },
    });
    expect(renamed.statusCode).toBe(201);
    expect(renamed.json()).toMatchObject({ board_name: "Renamed", archived: true });
    const visible = (await server.app.inject({ method: "GET", url: "/api/v1/boards/?all=true" })).json() as {
      board_id: string;
    }[];
    expect(visible.map((x) => x.board_id)).toEqual([b]);
    const withArchived = (
      await server.app.inject({
        method: "GET",
        url: "/api/v1/boards/?all=true&include_archived=true&order_by=board_name&direction=ASC",
      })
    ).json() as { board_name: string }[];
    expect(withArchived.map((x) => x.board_name)).toEqual(["B", "Renamed"]);
    await server.app.inject({
      method: "POST",
      url: "/api/v1/board_images/batch",
      payload: { board_id: b, image_names: names },
    });
    const deleted = await server.app.inject({ method: "DELETE", url: `/api/v1/boards/${b}?include_images=true` });
    expect(deleted.json().deleted_images.sort()).toEqual([...names].sort());
    await server.app.inject({ method: "DELETE", url: `/api/v1/boards/${a}` });
    expect((await server.app.inject({ method: "GET", url: "/api/v1/images/" })).json().total).toBe(0);
  });

  it("answers bad input and unknown ids with typed 4xx errors", async () => {
    const notFound = await server.app.inject({ method: "GET", url: "/api/v1/images/i/missing.png" });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json().message).toContain("missing.png");
    expect((await server.app.inject({ method: "GET", url: "/api/v1/images/i/missing.png/full" })).statusCode).toBe(404);
    expect((await server.app.inject({ method: "GET", url: "/api/v1/boards/nope" })).statusCode).toBe(404);
    const badCategory = await upload(await gradientPng(), "image_category=selfie&is_intermediate=false");
    expect(badCategory.statusCode).toBe(422);
    expect(badCategory.json().detail[0].loc).toEqual(["query", "image_category"]);
    const missingFlag = await upload(await gradientPng(), "image_category=general");
    expect(missingFlag.json().detail[0].loc).toEqual(["query", "is_intermediate"]);
    const notImage = await upload(Buffer.from("definitely not a png"));
    expect(notImage.statusCode).toBeGreaterThanOrEqual(400);
    expect(notImage.statusCode).toBeLessThan(500);
    const tooBig = await upload(Buffer.alloc(300_000, 7));
    expect(tooBig.statusCode).toBe(413);
    const badPatch = await server.app.inject({ method: "PATCH", url: "/api/v1/images/i/x.png", payload: { width: 5 } });
    expect(badPatch.statusCode).toBe(422);
    const badLimit = await server.app.inject({ method: "GET", url: "/api/v1/images/?limit=-1" });
    expect(badLimit.json().detail[0].loc).toEqual(["query", "limit"]);
    const longName = await server.app.inject({ method: "POST", url: `/api/v1/boards/?board_name=${"x".repeat(301)}` });
    expect(longName.statusCode).toBe(422);
    const addMissing = await server.app.inject({
      method: "POST",
      url: "/api/v1/board_images/",
      payload: { board_id: "nope", image_name: "nope.png" },
    });
    expect(addMissing.statusCode).toBe(404);
    const afterAll = await server.app.inject({ method: "GET", url: "/api/v1/images/" });
    expect(afterAll.json().total).toBe(0);
  });
});
