import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  DuplicateModelError,
  InvalidModelConfigError,
  ModelRecords,
  openDatabase,
  UnknownModelError,
  type DatabaseConfig,
  type ModelConfig,
  type OpenedDatabase,
} from "@atelier/engine";
import { createTempDatabase, type TempDatabase } from "../support/postgres.js";

const root = mkdtempSync(join(tmpdir(), "atelier-model-records-"));
const modelsDir = join(root, "models");
const serverUrl = process.env.ATELIER_TEST_PG_URL;
const created: TempDatabase[] = [];
let counter = 0;

afterAll(async () => {
  for (const database of created) await database.drop();
  rmSync(root, { recursive: true, force: true });
});

function config(fields: Partial<ModelConfig> & Pick<ModelConfig, "key" | "name">): ModelConfig {
  return {
    hash: `blake3:${fields.key.padEnd(64, "0")}`,
    path: join(modelsDir, fields.key, `${fields.name}.safetensors`),
    file_size: 1000,
    description: null,
    source: `/downloads/${fields.name}.safetensors`,
    source_type: "path",
    source_api_response: null,
    cover_image: null,
    type: "lora",
    format: "lycoris",
    base: "sd-1",
    trigger_phrases: null,
    default_settings: { weight: 0.75 },
    ...fields,
  };
}

function defineSuite(openConfig: () => Promise<DatabaseConfig>): void {
  let database: OpenedDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });
  const records = async () => {
    database = await openDatabase(await openConfig());
    return new ModelRecords(database.db, { modelsDir });
  };

  it("stores the whole config, paths inside models_dir relative, and reads it back", async () => {
    const store = await records();
    const a = await store.add(
      config({
        key: "a",
        name: "detail",
        trigger_phrases: ["det4il"],
        variant: null,
        unknown_reason: null,
        extra_field: { kept: true },
      }),
    );
    expect(a.path).toBe("a/detail.safetensors");
    expect(a).toMatchObject({
      trigger_phrases: ["det4il"],
      default_settings: { weight: 0.75 },
      extra_field: { kept: true },
    });
    expect(await store.get("a")).toEqual(a);
    expect(store.toAbsolutePath(a.path)).toBe(join(modelsDir, "a", "detail.safetensors"));
    const outside = await store.add(config({ key: "b", name: "elsewhere", path: "/srv/models/elsewhere.safetensors" }));
    expect(outside.path).toBe("/srv/models/elsewhere.safetensors");
    expect(await store.exists("b")).toBe(true);
    expect(await store.exists("zzz")).toBe(false);
    await expect(store.get("zzz")).rejects.toBeInstanceOf(UnknownModelError);
    expect((await store.searchByPath(join(modelsDir, "a", "detail.safetensors"))).map((c) => c.key)).toEqual(["a"]);
    expect((await store.searchByPath("a/detail.safetensors")).map((c) => c.key)).toEqual(["a"]);
    expect((await store.getByHash(a.hash)).key).toBe("a");
    await expect(store.getByHash("blake3:none")).rejects.toThrow(/no model has hash/);
  });

  it("refuses a second model at the same path or with the same key", async () => {
    const store = await records();
    await store.add(config({ key: "a", name: "one" }));
    const samePath = await store
      .add(config({ key: "b", name: "two", path: join(modelsDir, "a", "one.safetensors") }))
      .catch((e: unknown) => e);
    expect(samePath).toBeInstanceOf(DuplicateModelError);
    expect((samePath as Error).message).toBe("A model is already installed at a/one.safetensors (key a)");
    await expect(store.add(config({ key: "a", name: "three" }))).rejects.toThrow(/A model with key a already exists/);
  });

  it("searches by name, base, type and format, and lists in the requested order", async () => {
    const store = await records();
    await store.add(config({ key: "1", name: "b-model", base: "sdxl", file_size: 30 }));
    await store.add(config({ key: "2", name: "a-model", base: "sd-1", file_size: 10 }));
    await store.add(
      config({ key: "3", name: "a-model", base: "sdxl", type: "main", format: "checkpoint", file_size: 20 }),
    );
    expect((await store.search({ name: "a-model" })).map((c) => c.key).sort()).toEqual(["2", "3"]);
    expect((await store.search({ name: "a-model", base: "sdxl", type: "main" })).map((c) => c.key)).toEqual(["3"]);
    expect((await store.search({ base: ["sd-1", "sdxl"], type: "lora", format: "lycoris" })).map((c) => c.key)).toEqual(
      ["2", "1"],
    );
    expect((await store.list({ orderBy: "name" })).map((c) => c.key)).toEqual(["2", "3", "1"]);
    expect((await store.list({ orderBy: "size", direction: "DESC" })).map((c) => c.key)).toEqual(["1", "3", "2"]);
    expect((await store.list()).map((c) => c.key)).toEqual(["2", "1", "3"]); // type, base, name
  });

  it("updates fields (possibly changing the kind), validates the result, and deletes", async () => {
    const store = await records();
    await store.add(
      config({
        key: "k",
        name: "thing",
        type: "unknown",
        format: "unknown",
        base: "unknown",
        unknown_reason: "no rule",
      }),
    );
    const updated = await store.update("k", {
      type: "vae",
      format: "checkpoint",
      base: "sdxl",
      name: "renamed",
      trigger_phrases: ["x"],
    });
    expect(updated).toMatchObject({
      type: "vae",
      format: "checkpoint",
      base: "sdxl",
      name: "renamed",
      trigger_phrases: ["x"],
    });
    expect((await store.search({ name: "renamed" })).map((c) => c.key)).toEqual(["k"]);
    const bad = await store.update("k", { base: "sd-9" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidModelConfigError);
    expect((bad as Error).message).toMatch(/Model record changes of model k are invalid: base: Invalid option/);
    await expect(store.update("k", { colour: "red" })).rejects.toThrow(/Unrecognized key: "colour"/);
    await expect(store.update("k", { key: "other" })).rejects.toThrow(/cannot be changed/);
    await expect(store.update("nope", { name: "x" })).rejects.toBeInstanceOf(UnknownModelError);
    await store.delete("k");
    await expect(store.delete("k")).rejects.toBeInstanceOf(UnknownModelError);
  });
}

describe("ModelRecords on SQLite", () => {
  defineSuite(async () => {
    counter += 1;
    return { db_backend: "sqlite", paths: { db: join(root, `db-${counter}`, "atelier.db") } };
  });
});

describe.skipIf(serverUrl === undefined || serverUrl === "")("ModelRecords on PostgreSQL", () => {
  defineSuite(async () => {
    const database = await createTempDatabase(serverUrl!);
    created.push(database);
    return { db_backend: "postgres", db_url: database.url, paths: { db: "/unused/atelier.db" } };
  });
});
