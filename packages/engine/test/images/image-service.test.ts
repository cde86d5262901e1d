import { existsSync } from "node:fs";
import { readFile, writeFile, rm, mkdir } from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import {
  BlobStorageError,
  BoardNotFoundError,
  encodePng,
  ImageNotFoundError,
  InvalidImageError,
  InvalidUploadOptionError,
  UnsupportedImageFormatError,
} from "@atelier/engine";
import { filesUnder, gradient, pngTextChunks, testServices, type TestServices } from "../services/service-fixture.js";

const WORKFLOW = {
  name: "Lighthouse",
  meta: { version: "3.0.0", category: "user" },
  nodes: [{ id: "n1", type: "invocation", data: { id: "n1", type: "add", inputs: { a: { name: "a", value: 1 } } } }],
  edges: [],
};
const GRAPH = { id: "g1", nodes: { n1: { id: "n1", type: "add", a: 1 } }, edges: [] };

let fixture: TestServices | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

async function setup(overrides: Record<string, unknown> = {}): Promise<TestServices> {
  fixture = await testServices({ overrides });
  return fixture;
}

async function recordCount(f: TestServices): Promise<number> {
  const row = await f.services.db
    .selectFrom("images")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("ImageService.create", () => {
  it("writes the PNG with its chunks, a 256 px WebP thumbnail, the record and the board link", async () => {
    const f = await setup();
    const { images, boards, config } = f.services;
    const board = await boards.create("Lighthouses");
    const metadata = { positive_prompt: "灯台 🌅 at dusk", seed: 42 };
    const dto = await images.create(gradient(640, 400), {
      nodeId: "node-1",
      sessionId: "session-1",
      boardId: board.board_id,
      metadata,
      workflow: WORKFLOW,
      graph: GRAPH,
    });

    expect(dto.image_name).toMatch(/^[0-9a-f-]{36}\.png$/);
    expect(dto).toEqual({
      image_name: dto.image_name,
      image_url: `api/v1/images/i/${dto.image_name}/full`,
      thumbnail_url: `api/v1/images/i/${dto.image_name}/thumbnail`,
      image_origin: "internal",
      image_category: "general",
      width: 640,
      height: 400,
      created_at: dto.created_at,
      updated_at: dto.created_at,
      is_intermediate: false,
      session_id: "session-1",
      node_id: "node-1",
      starred: false,
      has_workflow: true,
      image_subfolder: "",
      board_id: board.board_id,
    });
    expect(await images.getDto(dto.image_name)).toEqual(dto);

    const file = await images.getPath(dto.image_name);
    expect(file).toBe(path.join(config.paths.images, dto.image_name));
    const png = await readFile(file);
    const chunks = pngTextChunks(png);
    expect(JSON.parse(chunks.invokeai_metadata)).toEqual(metadata);
    expect(JSON.parse(chunks.invokeai_workflow)).toEqual(WORKFLOW);
    expect(JSON.parse(chunks.invokeai_graph)).toEqual(GRAPH);
    const comments = (await sharp(png).metadata()).comments ?? [];
    expect(JSON.parse(comments.find((c) => c.keyword === "invokeai_metadata")!.text)).toEqual(metadata);

    const thumbPath = await images.getPath(dto.image_name, true);
    expect(thumbPath).toBe(path.join(config.paths.thumbnails, dto.image_name.replace(/\.png$/, ".webp")));
    const thumb = await sharp(await readFile(thumbPath)).metadata();
    expect(thumb.format).toBe("webp");
    expect([thumb.width, thumb.height]).toEqual([256, 160]);

    expect(await images.getMetadata(dto.image_name)).toEqual(metadata);
    expect(await images.getWorkflow(dto.image_name)).toEqual({
      workflow: JSON.stringify(WORKFLOW),
      graph: JSON.stringify(GRAPH),
    });
    const pixels = await images.getImage(dto.image_name, "L");
    expect([pixels.width, pixels.height, pixels.mode, pixels.data.length]).toEqual([640, 400, "L", 640 * 400]);
    expect((await boards.getDto(board.board_id)).image_count).toBe(1);
  });

  it.each([
    ["date", /^\d{4}\/\d{2}\/\d{2}$/],
    ["type", /^intermediate$/],
    ["hash", /^[0-9a-f]{2}$/],
  ])("puts files in subfolders with the %s strategy", async (strategy, pattern) => {
    const f = await setup({ image_subfolder_strategy: strategy });
    const dto = await f.services.images.create(gradient(32, 32), { isIntermediate: true });
    expect(dto.image_subfolder).toMatch(pattern);
    expect(existsSync(path.join(f.services.config.paths.images, dto.image_subfolder!, dto.image_name))).toBe(true);
    expect((await f.services.images.getImage(dto.image_name)).width).toBe(32);
    expect(await filesUnder(f.services.config.paths.thumbnails)).toEqual([
      `${dto.image_subfolder}/${dto.image_name.replace(".png", ".webp")}`,
    ]);
  });

  it("leaves no record when the output folder cannot be written", async () => {
    const f = await setup();
    // A file where the images folder should be: every write below it fails, even for root.
    await mkdir(f.services.config.paths.outputs, { recursive: true });
    await writeFile(f.services.config.paths.images, "not a folder");
    const error = await f.services.images.create(gradient(16, 16)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStorageError);
    expect((error as Error).message).toMatch(/Could not put blob "images\/.*\.png" in folder /);
    expect(await recordCount(f)).toBe(0);
    await rm(f.services.config.paths.images);
    expect(await filesUnder(f.services.config.paths.outputs)).toEqual([]);
  });

  it("removes the files again when the record cannot be saved", async () => {
    const f = await setup();
    await sql`CREATE TRIGGER refuse_images BEFORE INSERT ON images BEGIN SELECT RAISE(ABORT, 'database is full'); END`.execute(
      f.services.db,
    );
    await expect(f.services.images.create(gradient(16, 16), { metadata: { a: 1 } })).rejects.toThrow(
      /database is full/,
    );
    expect(await filesUnder(f.services.config.paths.images)).toEqual([]);
    expect(await recordCount(f)).toBe(0);
  });

  it("refuses an unknown board before writing anything", async () => {
    const f = await setup();
    await expect(f.services.images.create(gradient(16, 16), { boardId: "no-such-board" })).rejects.toBeInstanceOf(
      BoardNotFoundError,
    );
    expect(await filesUnder(f.services.config.paths.outputs)).toEqual([]);
    expect(await recordCount(f)).toBe(0);
  });
});

describe("ImageService.upload", () => {
  it("round-trips upload → list → star → board → delete, keeping valid chunks", async () => {
    const f = await setup();
    const { images, boards } = f.services;
    const deleted: string[] = [];
    images.onDeleted((name) => deleted.push(name));
    const metadata = { positive_prompt: "ünïcödé ✨ 日本語" };
    const png = await encodePng(gradient(300, 200), {
      textChunks: {
        invokeai_metadata: JSON.stringify(metadata),
        invokeai_workflow: JSON.stringify(WORKFLOW),
        invokeai_graph: JSON.stringify(GRAPH),
      },
    });
    const uploaded = await images.upload(png, { category: "user", boardId: null });
    expect(uploaded).toMatchObject({
      image_origin: "external",
      image_category: "user",
      width: 300,
      height: 200,
      has_workflow: true,
    });
    expect(uploaded).not.toHaveProperty("board_id");
    expect(await images.getMetadata(uploaded.image_name)).toEqual(metadata);
    expect(await images.getWorkflow(uploaded.image_name)).toEqual({
      workflow: JSON.stringify(WORKFLOW),
      graph: JSON.stringify(GRAPH),
    });

    const jpeg = await sharp(Buffer.from(gradient(120, 80).data), { raw: { width: 120, height: 80, channels: 3 } })
      .jpeg()
      .toBuffer();
    const fromJpeg = await images.upload(jpeg, { category: "control" });
    expect(fromJpeg).toMatchObject({
      image_origin: "external",
      image_category: "control",
      width: 120,
      height: 80,
      has_workflow: false,
    });

    const listed = await images.list({ categories: ["user", "control"], limit: 10 });
    expect(listed.total).toBe(2);
    expect(listed.items.map((i) => i.image_name)).toEqual([fromJpeg.image_name, uploaded.image_name]);

    expect(await images.star([uploaded.image_name, "missing.png"])).toEqual({
      starred_images: [uploaded.image_name],
      affected_boards: ["none"],
    });
    const starredFirst = await images.list({ categories: ["user", "control"], limit: 10 });
    expect(starredFirst.items.map((i) => i.image_name)).toEqual([uploaded.image_name, fromJpeg.image_name]);

    const board = await boards.create("Uploads");
    const added = await boards.addImagesToBoard(board.board_id, [uploaded.image_name]);
    expect(added).toEqual({ affected_boards: [board.board_id, "none"], added_images: [uploaded.image_name] });
    expect(await boards.getDto(board.board_id)).toMatchObject({
      image_count: 0,
      asset_count: 1,
      cover_image_name: uploaded.image_name,
    });
    expect((await images.getDto(uploaded.image_name)).board_id).toBe(board.board_id);

    const thumb = await images.getPath(uploaded.image_name, true);
    const result = await images.delete(uploaded.image_name);
    expect(result).toEqual({ deleted_images: [uploaded.image_name], affected_boards: [board.board_id] });
    expect(deleted).toEqual([uploaded.image_name]);
    expect(existsSync(thumb)).toBe(false);
    await expect(images.getDto(uploaded.image_name)).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(await boards.getDto(board.board_id)).toMatchObject({ asset_count: 0, cover_image_name: null });
    expect(await images.unstar([fromJpeg.image_name])).toEqual({
      unstarred_images: [fromJpeg.image_name],
      affected_boards: ["none"],
    });
  });

  it("drops invalid embedded documents with a warning and keeps the image", async () => {
    const f = await setup();
    const png = await encodePng(gradient(20, 20), {
      textChunks: {
        invokeai_metadata: "[1, 2]",
        invokeai_workflow: JSON.stringify({ nodes: "x" }),
        invokeai_graph: "{not json",
      },
    });
    const dto = await f.services.images.upload(png);
    expect(dto.has_workflow).toBe(false);
    expect(await f.services.images.getMetadata(dto.image_name)).toBeNull();
    expect(await f.services.images.getWorkflow(dto.image_name)).toEqual({ workflow: null, graph: null });
    const warnings = f.logs
      .filter((l) => String(l.msg).startsWith("Uploaded image: ignoring invalid"))
      .map((l) => l.chunk);
    expect(warnings).toEqual(["invokeai_metadata", "invokeai_workflow", "invokeai_graph"]);
  });

  it("stores explicit upload metadata instead of the file's, and refuses metadata that is not a JSON object", async () => {
    const f = await setup();
    const png = await encodePng(gradient(12, 12), {
      textChunks: { invokeai_metadata: JSON.stringify({ from: "file" }) },
    });
    const dto = await f.services.images.upload(png, { metadata: JSON.stringify({ from: "form", note: "メモ" }) });
    expect(await f.services.images.getMetadata(dto.image_name)).toEqual({ from: "form", note: "メモ" });
    expect(JSON.parse(pngTextChunks(await f.services.images.getBytes(dto.image_name)).invokeai_metadata)).toEqual({
      from: "form",
      note: "メモ",
    });
    const error = await f.services.images.upload(png, { metadata: "[1, 2, 3]" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidUploadOptionError);
    expect((error as InvalidUploadOptionError).status).toBe(400);
    expect(await recordCount(f)).toBe(1);
  });

  it("crops to the visible pixels and resizes when asked", async () => {
    const f = await setup();
    const image = gradient(40, 30, "RGBA");
    for (let i = 3; i < image.data.length; i += 4) {
      const p = (i - 3) / 4;
      const [x, y] = [p % 40, Math.floor(p / 40)];
      image.data[i] = x >= 10 && x < 25 && y >= 5 && y < 12 ? 255 : 0;
    }
    const png = await encodePng(image);
    expect(await f.services.images.upload(png, { cropVisible: true })).toMatchObject({ width: 15, height: 7 });
    expect(await f.services.images.upload(png, { resizeTo: { width: 64, height: 48 } })).toMatchObject({
      width: 64,
      height: 48,
    });
  });

  it.each([
    ["a truncated PNG", async () => (await encodePng(gradient(64, 64))).subarray(0, 300), InvalidImageError],
    ["text", async () => Buffer.from("hello, I am not an image"), UnsupportedImageFormatError],
    ["a GIF", async () => Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1"), UnsupportedImageFormatError],
    ["an empty file", async () => Buffer.alloc(0), UnsupportedImageFormatError],
    ["a JPEG header without data", async () => Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), InvalidImageError],
  ])("refuses %s with a 400 error and leaves nothing behind", async (_label, bytes, errorType) => {
    const f = await setup();
    const error = await f.services.images.upload(await bytes()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorType);
    expect((error as { status: number }).status).toBe(400);
    expect(await filesUnder(f.services.config.paths.outputs)).toEqual([]);
    expect(await recordCount(f)).toBe(0);
  });
});

describe("ImageService reads and deletes", () => {
  it("names the image in every not-found error", async () => {
    const f = await setup();
    const { images } = f.services;
    for (const call of [
      () => images.getDto("ghost.png"),
      () => images.getMetadata("ghost.png"),
      () => images.getWorkflow("ghost.png"),
      () => images.getImage("ghost.png"),
      () => images.getPath("ghost.png"),
      () => images.getBytes("ghost.png"),
      () => images.getThumbnailBytes("ghost.png"),
      () => images.update("ghost.png", { starred: true }),
      () => images.delete("ghost.png"),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageNotFoundError);
      expect((error as ImageNotFoundError).status).toBe(404);
      expect((error as Error).message).toContain('"ghost.png"');
    }
  });

  it("deletes intermediates and images on no board, with their files and callbacks", async () => {
    const f = await setup();
    const { images, boards } = f.services;
    const board = await boards.create("Keep");
    const kept = await images.create(gradient(8, 8), { boardId: board.board_id });
    const intermediate = await images.create(gradient(8, 8), { isIntermediate: true, boardId: board.board_id });
    const loose = await images.create(gradient(8, 8));
    const deleted: string[] = [];
    images.onDeleted((name) => deleted.push(name));
    expect(await images.getIntermediatesCount()).toBe(1);
    expect(await images.deleteIntermediates()).toBe(1);
    expect(await images.getIntermediatesCount()).toBe(0);
    expect(await images.deleteUncategorized()).toEqual({
      deleted_images: [loose.image_name],
      affected_boards: ["none"],
    });
    expect(deleted.sort()).toEqual([intermediate.image_name, loose.image_name].sort());
    expect(await filesUnder(f.services.config.paths.images)).toEqual([
      kept.image_name,
      `thumbnails/${kept.image_name.replace(".png", ".webp")}`,
    ]);
    expect(await images.update(kept.image_name, { image_category: "mask", is_intermediate: false })).toMatchObject({
      image_category: "mask",
    });
    expect(await boards.getDto(board.board_id)).toMatchObject({ image_count: 0, asset_count: 1 });
  });
});
