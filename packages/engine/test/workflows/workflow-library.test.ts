import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AtelierError } from "@atelier/core";
import { openDatabase, type OpenedDatabase } from "../../src/database/open-database.js";
import { WorkflowLibrary } from "../../src/workflows/workflow-library.js";
import { additionWorkflow, workflowDocument } from "./workflow-fixtures.js";

let dir: string;
let opened: OpenedDatabase;
let library: WorkflowLibrary;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "atelier-workflows-"));
  opened = await openDatabase({ db_backend: "sqlite", paths: { db: join(dir, "databases", "atelier.db") } });
  library = new WorkflowLibrary(opened.db, { thumbnailsDir: join(dir, "workflow_thumbnails") });
});

afterEach(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<AtelierError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AtelierError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

function named(
  name: string,
  tags: string,
  description = "",
  category: "user" | "default" = "user",
): Record<string, unknown> {
  return workflowDocument([], [], [], { name, tags, description, meta: { version: "3.0.0", category } });
}

describe("WorkflowLibrary", () => {
  it("creates, reads, updates and deletes a workflow", async () => {
    const created = await library.create(additionWorkflow());
    expect(created.workflow_id).toMatch(/^[0-9a-f]{32}$/);
    expect(created.workflow.id).toBe(created.workflow_id);
    expect(created.name).toBe("Test workflow");
    expect(created.opened_at).toBeNull();
    expect(created.is_public).toBe(false);
    expect(created.user_id).toBe("system");
    expect(Date.parse(created.created_at)).not.toBeNaN();

    const fetched = await library.get(created.workflow_id);
    expect(fetched.workflow.nodes).toHaveLength(4);
    expect(fetched.thumbnail_url).toBeNull();

    const updated = await library.update({ ...fetched.workflow, name: "Renamed", tags: "x" });
    expect(updated.name).toBe("Renamed");
    expect(updated.workflow.name).toBe("Renamed");
    expect(updated.updated_at >= created.updated_at).toBe(true);

    await library.delete(created.workflow_id);
    const gone = await rejection(library.get(created.workflow_id));
    expect(gone.status).toBe(404);
    expect(gone.message).toContain(created.workflow_id);
  });

  it("refuses default workflows and workflows without an id on update", async () => {
    const error = await rejection(library.create(named("d", "", "", "default")));
    expect(error.code).toBe("default_workflow_read_only");
    expect(error.status).toBe(409);
    const created = await library.create(additionWorkflow());
    const { id: _id, ...withoutId } = (await library.get(created.workflow_id)).workflow;
    expect((await rejection(library.update(withoutId))).message).toContain("workflow.id");
    expect((await rejection(library.update({ ...withoutId, id: "nope" }))).status).toBe(404);
    expect((await rejection(library.delete("nope"))).status).toBe(404);
    expect((await rejection(library.create({ nodes: 1 }))).code).toBe("invalid_workflow");
  });

  it("lists with paging, ordering, tags, text query and opened filter", async () => {
    const ids: string[] = [];
    for (const [name, tags, description] of [
      ["Charlie", "upscale, sdxl", "Big pictures"],
      ["alpha", "sdxl", "first"],
      ["Bravo", "inpaint", "masks and more"],
      ["Delta", "", "nothing"],
    ]) {
      ids.push((await library.create(named(name, tags, description))).workflow_id);
    }
    const page0 = await library.list({ page: 0, per_page: 3, order_by: "name", direction: "ASC" });
    expect(page0.total).toBe(4);
    expect(page0.pages).toBe(2);
    expect(page0.per_page).toBe(3);
    expect(page0.items.map((i) => i.name)).toEqual(["Bravo", "Charlie", "Delta"]);
    const page1 = await library.list({ page: 1, per_page: 3, order_by: "name", direction: "ASC" });
    expect(page1.items.map((i) => i.name)).toEqual(["alpha"]);
    expect(page1.items[0]).toMatchObject({ category: "user", tags: "sdxl", description: "first", thumbnail_url: null });

    const all = await library.list({ per_page: null, order_by: "name", direction: "DESC" });
    expect(all.items.map((i) => i.name)).toEqual(["alpha", "Delta", "Charlie", "Bravo"]);
    expect(all.pages).toBe(1);

    const sdxl = await library.list({ tags: ["SDXL"] });
    expect(sdxl.items.map((i) => i.name).sort()).toEqual(["Charlie", "alpha"]);
    const text = await library.list({ query: "MASK" });
    expect(text.items.map((i) => i.name)).toEqual(["Bravo"]);
    const percent = await library.list({ query: "%" });
    expect(percent.total).toBe(0);

    await library.updateOpenedAt(ids[3]);
    const opened = await library.list({ has_been_opened: true });
    expect(opened.items.map((i) => i.name)).toEqual(["Delta"]);
    expect(opened.items[0].opened_at).not.toBeNull();
    expect((await library.list({ has_been_opened: false })).total).toBe(3);
    expect((await rejection(library.updateOpenedAt("missing"))).status).toBe(404);
  });

  it("counts by tag and category and lists all tags", async () => {
    await library.create(named("a", "sdxl, upscale"));
    await library.create(named("b", "SDXL"));
    await library.create(named("c", "inpaint"));
    expect(await library.getAllTags()).toEqual(
      ["inpaint", "SDXL", "sdxl", "upscale"].sort((x, y) => x.localeCompare(y)),
    );
    expect(await library.countsByTag(["sdxl", "inpaint", "missing"])).toEqual({ sdxl: 2, inpaint: 1, missing: 0 });
    expect(await library.countsByCategory(["user", "default"])).toEqual({ user: 3, default: 0 });
    const one = await library.create(named("d", "x"));
    await library.updateIsPublic(one.workflow_id, true);
    expect(await library.countsByCategory(["user"], { is_public: true })).toEqual({ user: 1 });
    expect((await library.list({ is_public: false })).total).toBe(3);
  });

  it("keeps a thumbnail per workflow and refuses non-images", async () => {
    const created = await library.create(additionWorkflow());
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
    const record = await library.setThumbnail(created.workflow_id, png);
    expect(record.thumbnail_url).toBe(`api/v1/workflows/i/${created.workflow_id}/thumbnail`);
    const thumb = await library.getThumbnail(created.workflow_id);
    expect(thumb?.contentType).toBe("image/png");
    expect(Buffer.compare(thumb!.bytes, png)).toBe(0);
    expect((await library.list()).items[0].thumbnail_url).toBe(record.thumbnail_url);
    const bad = await rejection(library.setThumbnail(created.workflow_id, Buffer.from("not an image")));
    expect(bad.code).toBe("invalid_workflow_thumbnail");
    await library.deleteThumbnail(created.workflow_id);
    expect(await library.getThumbnail(created.workflow_id)).toBeNull();
  });
});

describe("shipped (default) workflows", () => {
  const shipped = (id: string, name: string) => ({ ...named(name, "default", "", "default"), id });

  it("installs them once, replaces changed ones, and keeps them read-only", async () => {
    expect(await library.installDefaults([shipped("t2i", "Text to Image"), shipped("i2i", "Image to Image")])).toBe(2);
    expect(await library.installDefaults([shipped("t2i", "Text to Image"), shipped("i2i", "Image to Image")])).toBe(0);
    expect(await library.installDefaults([shipped("t2i", "Text to Image v2")])).toBe(1);
    expect((await library.get("t2i")).name).toBe("Text to Image v2");
    expect((await library.get("t2i")).workflow.meta.category).toBe("default");
    expect((await rejection(library.delete("t2i"))).code).toBe("default_workflow_read_only");
  });

  it("refuses a shipped workflow that is not in the default category, writing nothing", async () => {
    const error = await rejection(library.installDefaults([shipped("ok", "fine"), { ...named("x", ""), id: "bad" }]));
    expect(error.code).toBe("invalid_workflow");
    expect(error.message).toContain("defaults[1].meta.category");
    await expect(library.get("ok")).rejects.toMatchObject({ code: "workflow_not_found" });
  });
});
