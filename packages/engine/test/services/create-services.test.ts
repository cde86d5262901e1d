import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BlobBackendUnavailableError, ConfigError, createServices, MIGRATIONS } from "@atelier/engine";
import { MakeImage, runNode } from "../invocation-context/test-nodes.js";
import { gradient, testServices, type TestServices } from "./service-fixture.js";

let fixture: TestServices | undefined;
const roots: string[] = [];
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "atelier-root-"));
  roots.push(root);
  return root;
}

describe("createServices", () => {
  it("builds the engine on a fresh root: config file, migrated database, environment and overrides", async () => {
    fixture = await testServices({
      env: { ATELIER_PIL_COMPRESS_LEVEL: "3", ATELIER_NODE_CACHE_SIZE: "64" },
      overrides: { node_cache_size: 8 },
    });
    const { services, root } = fixture;
    expect(await readFile(path.join(root, "atelier.yaml"), "utf8")).toContain("pil_compress_level");
    expect(services.config.pil_compress_level).toBe(3);
    expect(services.config.node_cache_size).toBe(8);
    expect(services.database.location).toBe(path.join(root, "databases", "atelier.db"));
    const applied = await services.db.selectFrom("migrations").select("id").orderBy("id").execute();
    expect(applied.map((m) => m.id)).toEqual(MIGRATIONS.map((m) => m.id));

    const dto = await services.images.create(gradient(16, 16));
    expect(existsSync(path.join(root, "outputs", "images", dto.image_name))).toBe(true);
    const tensor = await services.tensors.save({ dtype: "int32", shape: [3], data: Int32Array.from([1, 2, 3]) });
    await services.close();
    await services.close(); // closing twice is harmless
    expect(existsSync(path.join(root, "outputs", "tensors", `${tensor}.safetensors`))).toBe(true);
  });

  it("registers the given node modules and survives broken custom node packs", async () => {
    const root = await tempRoot();
    const nodes = path.join(root, "nodes");
    await mkdir(path.join(nodes, "broken"), { recursive: true });
    await writeFile(path.join(nodes, "broken", "index.js"), 'throw new Error("this pack is broken on purpose");\n');
    await mkdir(path.join(nodes, "_disabled"), { recursive: true });
    await writeFile(path.join(nodes, "_disabled", "index.js"), 'throw new Error("never imported");\n');
    fixture = await testServices({ root, loadNodePacks: true, nodeModules: [{ MakeImage }] });
    const { services } = fixture;
    expect(services.registry.get("test_make_image")).toBe(MakeImage);
    expect(services.nodePacks.failed).toEqual([{ pack: "broken", error: "this pack is broken on purpose" }]);
    expect(services.nodePacks.skipped).toContain("_disabled");
    expect(fixture.logs.some((l) => String(l.msg).includes("Failed to load node pack broken"))).toBe(true);
    // The engine works after the failure.
    const { output } = await runNode(services, MakeImage, { id: "after-packs", width: 8, height: 8 });
    expect(output).toMatchObject({ width: 8, height: 8 });
  });

  it("tells deletion listeners about deleted images and tensors (the invocation cache hooks in here)", async () => {
    fixture = await testServices();
    const { services } = fixture;
    const gone: string[] = [];
    services.images.onDeleted((name) => gone.push(`image:${name}`));
    const stop = services.tensors.onDeleted((name) => gone.push(`tensor:${name}`));
    const image = await services.images.create(gradient(8, 8));
    const tensor = await services.tensors.save({ dtype: "float32", shape: [1], data: Float32Array.from([1]) });
    await services.images.delete(image.image_name);
    await services.tensors.delete(tensor);
    stop();
    expect(gone).toEqual([`image:${image.image_name}`, `tensor:${tensor}`]);
  });

  it("stops with a typed error for a blob backend it does not have and for a bad config value", async () => {
    const root = await tempRoot();
    await expect(
      createServices({ root, env: {}, loadNodePacks: false, overrides: { blob_backend: "s3", s3_bucket: "b" } }),
    ).rejects.toBeInstanceOf(BlobBackendUnavailableError);
    const error = await createServices({ root, env: { ATELIER_PORT: "not-a-port" }, loadNodePacks: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("ATELIER_PORT");
  });
});
