// StylePresetService on a real SQLite file and, when the test setup started one, a real PostgreSQL database; preset
// images are real PNG uploads turned into WebP files on disk.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { AtelierError } from "@atelier/core";
import { openDatabase, type DatabaseConfig, type OpenedDatabase } from "../../src/database/index.js";
import {
  parseStylePresetCsv,
  parseStylePresetFormData,
  StylePresetService,
  type StylePresetInput,
} from "../../src/style-presets/index.js";
import { createTempDatabase, type TempDatabase } from "../support/postgres.js";

async function rejection(promise: Promise<unknown>): Promise<AtelierError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AtelierError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

function failure(run: () => unknown): AtelierError {
  try {
    run();
  } catch (error) {
    if (error instanceof AtelierError) return error;
    throw error;
  }
  throw new Error("expected an error");
}

async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .png()
    .toBuffer();
}

function preset(name: string, positive = "{prompt}, oil painting", negative = "blurry, {prompt}"): StylePresetInput {
  return { name, preset_data: { positive_prompt: positive, negative_prompt: negative } };
}

const pgUrl = process.env.ATELIER_TEST_PG_URL;
const pgDatabases: TempDatabase[] = [];
afterAll(async () => {
  for (const database of pgDatabases) await database.drop();
});

function defineServiceTests(dialect: "sqlite" | "postgres", makeConfig: (dir: string) => Promise<DatabaseConfig>) {
  let dir: string;
  let opened: OpenedDatabase;
  let presets: StylePresetService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "atelier-style-presets-"));
    opened = await openDatabase(await makeConfig(dir));
    presets = new StylePresetService(opened.db, { stylePresetsDir: join(dir, "style_presets") });
  });

  afterEach(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${dialect}: creates, gets and lists presets sorted by name, case-insensitively`, async () => {
    for (const name of ["beta", "Alpha", "gamma", "Delta"]) await presets.create(preset(name));
    const listed = await presets.list();
    expect(listed.map((p) => p.name)).toEqual(["Alpha", "beta", "Delta", "gamma"]);
    const one = await presets.get(listed[1].id);
    expect(one).toEqual({
      id: listed[1].id,
      name: "beta",
      preset_data: { positive_prompt: "{prompt}, oil painting", negative_prompt: "blurry, {prompt}" },
      type: "user",
      user_id: "system",
      is_public: false,
      image: null,
    });
  });

  it(`${dialect}: names the id when a preset does not exist`, async () => {
    const error = await rejection(presets.get("no-such-preset"));
    expect(error.code).toBe("style_preset_not_found");
    expect(error.status).toBe(404);
    expect(error.message).toContain("no-such-preset");
    expect((await rejection(presets.delete("gone"))).status).toBe(404);
    expect((await rejection(presets.update("gone", { name: "x" }))).status).toBe(404);
  });

  it(`${dialect}: refuses input without a name or without string prompts, naming the field`, async () => {
    const empty = await rejection(presets.create(preset("   ")));
    expect(empty).toMatchObject({ code: "invalid_style_preset", status: 422, details: { field: "name" } });
    const noNegative = await rejection(
      presets.create({ name: "x", preset_data: { positive_prompt: "p" } } as unknown as StylePresetInput),
    );
    expect(noNegative.details.field).toBe("preset_data.negative_prompt");
    const numeric = await rejection(
      presets.create({ name: "x", preset_data: { positive_prompt: 3, negative_prompt: "" } } as never),
    );
    expect(numeric.details.field).toBe("preset_data.positive_prompt");
    expect(await presets.list()).toEqual([]);
  });

  it(`${dialect}: updates user presets; default presets can be neither updated nor deleted`, async () => {
    const created = await presets.create(preset("Old"));
    const updated = await presets.update(created.id, {
      name: "New",
      preset_data: { positive_prompt: "new {prompt}", negative_prompt: "" },
    });
    expect(updated).toMatchObject({ id: created.id, name: "New", preset_data: { positive_prompt: "new {prompt}" } });
    expect((await presets.get(created.id)).name).toBe("New");

    const shipped = await presets.create({ ...preset("Shipped"), type: "default" });
    const update = await rejection(presets.update(shipped.id, { name: "Mine" }));
    expect(update).toMatchObject({ code: "default_style_preset_read_only", status: 403 });
    const removal = await rejection(presets.delete(shipped.id));
    expect(removal.status).toBe(403);
    expect(removal.message).toContain(shipped.id);
    expect((await presets.get(shipped.id)).name).toBe("Shipped");

    await presets.delete(created.id);
    expect((await rejection(presets.get(created.id))).status).toBe(404);
  });

  it(`${dialect}: stores a preview image as a 256 px WebP under the presets folder`, async () => {
    const created = await presets.create(preset("With image"), await png(512, 300));
    expect(created.image).toBe(`api/v1/style_presets/i/${created.id}/image`);
    const file = join(dir, "style_presets", "images", `${created.id}.webp`);
    expect(existsSync(file)).toBe(true);
    const bytes = await presets.getImage(created.id);
    const meta = await sharp(Buffer.from(bytes!)).metadata();
    expect(meta).toMatchObject({ format: "webp", width: 256, height: 150 });

    await presets.update(created.id, { name: "No image" }, null);
    expect(existsSync(file)).toBe(false);
    expect((await presets.get(created.id)).image).toBeNull();
    expect(await presets.getImage(created.id)).toBeNull();

    await presets.update(created.id, {}, await png(40, 30));
    expect((await presets.get(created.id)).image).not.toBeNull();
    await presets.delete(created.id);
    expect(existsSync(file)).toBe(false);
  });

  it(`${dialect}: refuses an upload that is not an image and creates nothing`, async () => {
    const error = await rejection(presets.create(preset("Bad image"), Buffer.from("this is not an image")));
    expect(error).toMatchObject({ code: "invalid_style_preset_image", status: 415 });
    expect(await presets.list()).toEqual([]);
  });

  it(`${dialect}: exports user presets as InvokeAI's CSV and imports them back`, async () => {
    await presets.create(preset('Comma, quote " and\nnewline', 'say "{prompt}"', "a,b"));
    await presets.create(preset("plain", "{prompt}", ""));
    await presets.create({ ...preset("Shipped"), type: "default" });
    const csv = await presets.exportCsv();
    expect(csv.split("\r\n")[0]).toBe("name,prompt,negative_prompt");
    expect(csv).not.toContain("Shipped");
    expect(parseStylePresetCsv(csv)).toEqual([
      {
        name: 'Comma, quote " and\nnewline',
        preset_data: { positive_prompt: 'say "{prompt}"', negative_prompt: "a,b" },
      },
      { name: "plain", preset_data: { positive_prompt: "{prompt}", negative_prompt: "" } },
    ]);

    const imported = await presets.importFile({ bytes: Buffer.from(csv), contentType: "text/csv", filename: "p.csv" });
    expect(imported.map((p) => [p.name, p.type])).toEqual([
      ['Comma, quote " and\nnewline', "user"],
      ["plain", "user"],
    ]);
    expect((await presets.list()).map((p) => p.name)).toEqual([
      'Comma, quote " and\nnewline',
      'Comma, quote " and\nnewline',
      "plain",
      "plain",
      "Shipped",
    ]);
  });

  it(`${dialect}: imports all rows or none, and refuses files that are neither CSV nor JSON`, async () => {
    const missingName = "name,prompt,negative_prompt\r\nok,{prompt},\r\n,{prompt} two,\r\n";
    const error = await rejection(
      presets.importFile({ bytes: Buffer.from(missingName), contentType: "text/csv", filename: "p.csv" }),
    );
    expect(error).toMatchObject({ code: "invalid_style_preset_import", status: 400, details: { row: 2 } });
    const noColumn = await rejection(
      presets.importFile({ bytes: Buffer.from("title,text\r\na,b\r\n"), contentType: "text/csv", filename: "p.csv" }),
    );
    expect(noColumn.message).toContain("name, prompt, negative_prompt");
    expect(await presets.list()).toEqual([]);

    const json = JSON.stringify([{ name: "From JSON", positive_prompt: "{prompt} j", negative_prompt: "n" }]);
    await presets.importFile({ bytes: Buffer.from(json), contentType: "application/json", filename: "p.json" });
    expect((await presets.list()).map((p) => p.preset_data.positive_prompt)).toEqual(["{prompt} j"]);

    const unsupported = await rejection(
      presets.importFile({ bytes: Buffer.from("x"), contentType: "image/png", filename: "p.png" }),
    );
    expect(unsupported).toMatchObject({ code: "unsupported_style_preset_file", status: 415 });
  });
}

describe("StylePresetService on SQLite", () => {
  defineServiceTests("sqlite", async (dir) => ({ db_backend: "sqlite", paths: { db: join(dir, "atelier.db") } }));

  it("keeps presets across a reopen of the database file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atelier-style-presets-"));
    try {
      const config: DatabaseConfig = { db_backend: "sqlite", paths: { db: join(dir, "atelier.db") } };
      let opened = await openDatabase(config);
      const id = (
        await new StylePresetService(opened.db, { stylePresetsDir: dir }).create(preset("Kept", "{prompt} kept"))
      ).id;
      await opened.close();
      opened = await openDatabase(config);
      const again = await new StylePresetService(opened.db, { stylePresetsDir: dir }).get(id);
      await opened.close();
      expect(again.preset_data.positive_prompt).toBe("{prompt} kept");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(pgUrl === undefined || pgUrl === "")("StylePresetService on PostgreSQL", () => {
  defineServiceTests("postgres", async () => {
    const database = await createTempDatabase(pgUrl!);
    pgDatabases.push(database);
    return { db_backend: "postgres", db_url: database.url, paths: { db: "/unused/atelier.db" } };
  });
});

describe("parseStylePresetFormData (the `data` form field)", () => {
  it("reads InvokeAI's flat shape, user type by default", () => {
    expect(parseStylePresetFormData('{"name":"A","positive_prompt":"{prompt} x","negative_prompt":"y"}')).toEqual({
      name: "A",
      preset_data: { positive_prompt: "{prompt} x", negative_prompt: "y" },
      type: "user",
    });
  });

  it("names the field that is wrong", () => {
    expect(failure(() => parseStylePresetFormData("{not json")).details.field).toBe("data");
    const missing = failure(() => parseStylePresetFormData('{"name":"A","negative_prompt":""}'));
    expect(missing).toMatchObject({ status: 422, details: { field: "data.positive_prompt" } });
    expect(
      failure(() => parseStylePresetFormData('{"name":"A","positive_prompt":"","negative_prompt":"","type":"x"}'))
        .details.field,
    ).toBe("data.type");
  });
});
