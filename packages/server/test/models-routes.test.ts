import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeHub, type FakeHub } from "../../engine/test/support/fake-hub.js";
import { kohyaLoraKeys, vaeKeys } from "../../engine/test/models/support/model-fixtures.js";
import { randomSafetensors } from "../../engine/test/models/support/model-manager-fixture.js";
import { api, startTestServer, type TestServer } from "./support/test-server.js";

const M = "/api/v2/models";
let server: TestServer;
let hub: FakeHub;
let scratch: string;

interface Job {
  id: number;
  status: string;
  config_out: { key: string; name: string; type: string; base: string; hash: string; path: string } | null;
  error_type: string | null;
}

beforeAll(async () => {
  hub = await startFakeHub();
  // The engine reads the hub's address as huggingface_hub does.
  process.env.HF_ENDPOINT = hub.url;
  scratch = await mkdtemp(join(tmpdir(), "atelier-model-routes-"));
  server = await startTestServer({ allow_private_download_urls: true, hashing_algorithm: "blake3_single" });
});
afterAll(async () => {
  await server.dispose();
  await hub.close();
  await rm(scratch, { recursive: true, force: true });
  delete process.env.HF_ENDPOINT;
});

async function finished(id: number): Promise<Job> {
  for (let i = 0; i < 200; i++) {
    const job = (await api<Job>(server, "GET", `${M}/install/${id}`)).body;
    if (["completed", "error", "cancelled"].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`install job ${id} did not finish`);
}

describe("/api/v2/models", () => {
  it("installs from a path, then lists, gets, patches, finds by attributes and hash, and deletes", async () => {
    const lora = join(scratch, "route-lora.safetensors");
    await randomSafetensors(lora, kohyaLoraKeys(768));
    const started = await api<Job>(server, "POST", `${M}/install?source=${encodeURIComponent(lora)}`, {
      description: "via the API",
    });
    // FastAPI answers install_model with 201 Created.
    expect(started.status).toBe(201);
    expect(["waiting", "running", "completed"]).toContain(started.body.status);
    const job = await finished(started.body.id);
    expect(job).toMatchObject({ status: "completed", config_out: { name: "route-lora", type: "lora", base: "sd-1" } });
    const key = job.config_out!.key;

    const list = await api<{ models: { key: string }[] }>(
      server,
      "GET",
      `${M}/?base_models=sd-1&base_models=sdxl&model_type=lora`,
    );
    expect(list.body.models.map((m) => m.key)).toEqual([key]);
    expect((await api<{ models: unknown[] }>(server, "GET", `${M}/?model_type=main`)).body.models).toEqual([]);
    expect((await api(server, "GET", `${M}/i/${key}`)).body).toMatchObject({ key, description: "via the API" });
    const patched = await api(server, "PATCH", `${M}/i/${key}`, { name: "renamed", trigger_phrases: ["sks"] });
    expect(patched.body).toMatchObject({ name: "renamed", trigger_phrases: ["sks"] });
    const bad = await api<{ detail: unknown }>(server, "PATCH", `${M}/i/${key}`, { base: "sd-9" });
    expect(bad.status).toBe(422);
    expect((await api(server, "GET", `${M}/get_by_attrs?name=renamed&type=lora&base=sd-1`)).body).toMatchObject({
      key,
    });
    expect((await api(server, "GET", `${M}/get_by_attrs?name=nope&type=lora&base=sd-1`)).status).toBe(404);
    expect(
      (await api(server, "GET", `${M}/get_by_hash?hash=${encodeURIComponent(job.config_out!.hash)}`)).body,
    ).toMatchObject({ key });
    expect((await api(server, "POST", `${M}/i/${key}/reidentify`)).body).toMatchObject({
      key,
      name: "renamed",
      type: "lora",
      base: "sd-1",
    });
    expect((await api(server, "GET", `${M}/missing`)).body).toEqual({ models: [] });

    const installs = await api<Job[]>(server, "GET", `${M}/install`);
    expect(installs.body.map((j) => j.id)).toContain(job.id);
    expect((await api(server, "DELETE", `${M}/install`)).status).toBe(204);
    expect((await api<Job[]>(server, "GET", `${M}/install`)).body).toEqual([]);
    expect((await api(server, "GET", `${M}/install/${job.id}`)).status).toBe(404);

    const deleted = await api(server, "DELETE", `${M}/i/${key}`);
    expect(deleted.status).toBe(204);
    const gone = await api<{ code: string; message: string }>(server, "GET", `${M}/i/${key}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: "unknown_model" });
    const bulk = await api(server, "POST", `${M}/i/bulk_delete`, { keys: [key] });
    expect(bulk.body).toMatchObject({ deleted: [], failed: [{ key }] });
  });

  it("installs from the hub, lists a repo, scans folders, reports and empties the cache", async () => {
    const vae = await randomSafetensors(join(scratch, "vae-src.safetensors"), vaeKeys(16));
    await hub.addRepo("people/flux-vae", { "ae.safetensors": vae });
    expect((await api(server, "GET", `${M}/hugging_face?hugging_face_repo=people/flux-vae`)).body).toEqual({
      urls: [hub.fileUrl("people/flux-vae", "ae.safetensors")],
      is_diffusers: false,
    });
    const started = await api<Job>(server, "POST", `${M}/install?source=people/flux-vae`);
    const job = await finished(started.body.id);
    expect(job).toMatchObject({ status: "completed", config_out: { type: "vae", base: "flux" } });
    const path = join(server.root, "models", job.config_out!.path);
    expect((await stat(path)).size).toBe(vae.length);

    const scan = await api(
      server,
      "GET",
      `${M}/scan_folder?scan_path=${encodeURIComponent(join(server.root, "models", job.config_out!.key))}`,
    );
    expect(scan.body).toEqual([{ path, is_installed: true }]);
    const missingRepo = await api<Job>(server, "POST", `${M}/install?source=people/nothing`);
    expect(await finished(missingRepo.body.id)).toMatchObject({ status: "error", error_type: "DownloadHttpError" });

    const stats = await api<{ hits: number; in_cache: number; cache_size: number }>(server, "GET", `${M}/stats`);
    expect(stats.body).toMatchObject({ in_cache: 0 });
    expect(stats.body.cache_size).toBeGreaterThan(0);
    expect((await api(server, "POST", `${M}/empty_model_cache`)).status).toBe(200);
    expect((await api(server, "POST", `${M}/install/9999/pause`)).status).toBe(404);
  });

  it("documents the model routes in /openapi.json", async () => {
    const doc = await api<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>(
      server,
      "GET",
      "/openapi.json",
    );
    for (const path of [
      "/api/v2/models/",
      "/api/v2/models/i/{key}",
      "/api/v2/models/install",
      "/api/v2/models/install/{id}/resume",
      "/api/v2/models/stats",
    ]) {
      expect(doc.body.paths).toHaveProperty([path]);
    }
    expect(doc.body.components.schemas).toHaveProperty("ModelInstallJob");
    expect(doc.body.components.schemas).toHaveProperty("ModelRecordChanges");
  });
});
