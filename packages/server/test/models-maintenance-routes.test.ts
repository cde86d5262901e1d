import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeHub, type FakeHub } from "../../engine/test/support/fake-hub.js";
import {
  kohyaLoraKeys,
  sdCheckpointKeys,
  vaeKeys,
  writeZeroSafetensors,
} from "../../engine/test/models/support/model-fixtures.js";
import { randomSafetensors } from "../../engine/test/models/support/model-manager-fixture.js";
import { gradientPng } from "./support/test-images.js";
import { api, startTestServer, type TestServer } from "./support/test-server.js";

const M = "/api/v2/models";
let server: TestServer;
let hub: FakeHub;
let scratch: string;
const savedToken = process.env.HF_TOKEN;

interface Job {
  id: number;
  status: string;
  error: string | null;
  config_out: { key: string; path: string; type: string; base: string } | null;
}

beforeAll(async () => {
  hub = await startFakeHub();
  process.env.HF_ENDPOINT = hub.url;
  // The login falls back to $HF_TOKEN; the developer's own token must not decide these tests.
  delete process.env.HF_TOKEN;
  scratch = await mkdtemp(join(tmpdir(), "atelier-model-maint-"));
  server = await startTestServer({ allow_private_download_urls: true, hashing_algorithm: "blake3_single" });
});
afterAll(async () => {
  await server.dispose();
  await hub.close();
  await rm(scratch, { recursive: true, force: true });
  delete process.env.HF_ENDPOINT;
  if (savedToken !== undefined) process.env.HF_TOKEN = savedToken;
});

async function finished(id: number): Promise<Job> {
  for (let i = 0; i < 400; i++) {
    const job = (await api<Job>(server, "GET", `${M}/install/${id}`)).body;
    if (["completed", "error", "cancelled"].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`install job ${id} did not finish`);
}

async function installFile(name: string, keys: Parameters<typeof randomSafetensors>[1]): Promise<Job> {
  const path = join(scratch, name);
  await randomSafetensors(path, keys);
  const started = await api<Job>(server, "POST", `${M}/install?source=${encodeURIComponent(path)}`);
  expect(started.status).toBe(201);
  return finished(started.body.id);
}

async function uploadImage(key: string, bytes: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.append("image", new Blob([bytes], { type: "image/png" }), "cover.png");
  return fetch(`${server.url}${M}/i/${key}/image`, { method: "PATCH", body: form });
}

describe("model cover images", () => {
  it("stores an upload as a 256 px WebP, reports it in the record, serves it and deletes it with the model", async () => {
    const job = await installFile("covered-lora.safetensors", kohyaLoraKeys(768));
    const key = job.config_out!.key;
    expect((await api(server, "GET", `${M}/i/${key}/image`)).status).toBe(404);

    const uploaded = await uploadImage(key, await gradientPng(600, 300));
    expect(uploaded.status).toBe(200);
    const image = await fetch(`${server.url}${M}/i/${key}/image`);
    expect(image.headers.get("content-type")).toBe("image/webp");
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: "webp", width: 256, height: 128 });

    const url = `api/v2/models/i/${key}/image`;
    expect((await api(server, "GET", `${M}/i/${key}`)).body).toMatchObject({ cover_image: url });
    const list = await api<{ models: { key: string; cover_image: string | null }[] }>(server, "GET", `${M}/`);
    expect(list.body.models.find((m) => m.key === key)?.cover_image).toBe(url);

    expect((await uploadImage(key, Buffer.from("not an image"))).status).toBe(400);
    expect((await uploadImage("no-such-model", await gradientPng())).status).toBe(404);

    expect((await api(server, "DELETE", `${M}/i/${key}/image`)).status).toBe(204);
    expect((await api(server, "GET", `${M}/i/${key}/image`)).status).toBe(404);
    expect((await api(server, "DELETE", `${M}/i/${key}/image`)).status).toBe(404);
    expect((await api(server, "GET", `${M}/i/${key}`)).body).toMatchObject({ cover_image: null });

    expect((await uploadImage(key, await gradientPng())).status).toBe(200);
    expect((await api(server, "DELETE", `${M}/i/${key}`)).status).toBe(204);
    const left = await readdir(join(server.root, "models", ".images")).catch(() => []);
    expect(left.filter((n) => n.startsWith(key))).toEqual([]);
  });
});

describe("bulk re-identification and conversion", () => {
  it("reidentifies each key, reporting failures; refuses conversion with the reason", async () => {
    const vae = await installFile("bulk-vae.safetensors", vaeKeys(4));
    const main = await installFile("bulk-sd1.safetensors", sdCheckpointKeys(768));
    expect(main.config_out).toMatchObject({ type: "main", base: "sd-1" });
    const vaeKey = vae.config_out!.key;
    const mainKey = main.config_out!.key;
    await api(server, "PATCH", `${M}/i/${vaeKey}`, { base: "sdxl" });

    const bulk = await api<{ succeeded: string[]; failed: { key: string; error: string }[] }>(
      server,
      "POST",
      `${M}/i/bulk_reidentify`,
      { keys: [vaeKey, "missing-key"] },
    );
    expect(bulk.body.succeeded).toEqual([vaeKey]);
    expect(bulk.body.failed).toEqual([{ key: "missing-key", error: expect.stringContaining("missing-key") }]);
    expect((await api(server, "GET", `${M}/i/${vaeKey}`)).body).toMatchObject({ base: "sd-1", type: "vae" });

    const refused = await api<{ code: string; message: string }>(server, "PUT", `${M}/convert/${mainKey}`);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe("model_conversion_unsupported");
    expect(refused.body.message).toContain("ONNX");
    const notMain = await api<{ code: string }>(server, "PUT", `${M}/convert/${vaeKey}`);
    expect(notMain).toMatchObject({ status: 400, body: { code: "model_not_convertible" } });
    expect((await api(server, "PUT", `${M}/convert/nope`)).status).toBe(404);
    expect((await api(server, "GET", `${M}/i/${mainKey}`)).body).toMatchObject({ format: "checkpoint" });
  });
});

describe("starter models", () => {
  it("lists ONNX starters in InvokeAI's shape and marks an installed one", async () => {
    const before = await api<{
      starter_models: { source: string; is_installed: boolean; format: string; dependencies: unknown }[];
      starter_bundles: Record<string, { name: string; models: { source: string }[] }>;
    }>(server, "GET", `${M}/starter_models`);
    expect(before.status).toBe(200);
    expect(before.body.starter_models.length).toBeGreaterThan(0);
    for (const starter of before.body.starter_models) {
      expect(starter).toMatchObject({ format: "onnx", is_installed: false, dependencies: null });
    }
    const bundled = Object.values(before.body.starter_bundles).flatMap((b) => b.models.map((m) => m.source));
    expect(bundled.every((s) => before.body.starter_models.some((m) => m.source === s))).toBe(true);

    // A model whose recorded source is a starter's counts as that starter installed.
    const job = await installFile("starter-stand-in.safetensors", kohyaLoraKeys(1024));
    const source = before.body.starter_models[0].source;
    await api(server, "PATCH", `${M}/i/${job.config_out!.key}`, { source, source_type: "hf_repo_id" });
    const after = await api<{ starter_models: { source: string; is_installed: boolean }[] }>(
      server,
      "GET",
      `${M}/starter_models`,
    );
    expect(after.body.starter_models.find((m) => m.source === source)?.is_installed).toBe(true);
  });
});

describe("Hugging Face login and one-click installs", () => {
  it("stores the token privately, reports its status, and sends it to the hub for private repos", async () => {
    hub.addUser("hf_right", "someone");
    const vae = await randomSafetensors(join(scratch, "private-vae.safetensors"), vaeKeys(16));
    await hub.addRepo("people/private-vae", { "ae.safetensors": vae }, { token: "hf_right" });
    const tokenFile = join(server.root, "models", ".hf_token");

    expect((await api(server, "GET", `${M}/hf_login`)).body).toBe("invalid");
    const denied = await api<Job>(server, "POST", `${M}/install?source=people/private-vae`);
    expect((await finished(denied.body.id)).status).toBe("error");

    expect((await api(server, "POST", `${M}/hf_login`, { token: "hf_wrong" })).body).toBe("invalid");
    expect((await api(server, "POST", `${M}/hf_login`, { token: "hf_right" })).body).toBe("valid");
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await api(server, "GET", `${M}/hf_login`)).body).toBe("valid");

    const started = await api<Job>(server, "POST", `${M}/install?source=people/private-vae`);
    const job = await finished(started.body.id);
    expect(job).toMatchObject({ status: "completed", config_out: { type: "vae", base: "flux" } });
    expect(JSON.stringify(job)).not.toContain("hf_right");
    const downloads = hub.requests.filter((r) => r.path.includes("/people/private-vae/resolve/"));
    expect(downloads.at(-1)).toMatchObject({ authorization: "Bearer hf_right", status: 200 });

    expect((await api(server, "DELETE", `${M}/hf_login`)).body).toBe("invalid");
    await expect(stat(tokenFile)).rejects.toThrow();
    expect((await api(server, "POST", `${M}/hf_login`, { token: "" })).status).toBe(422);
  });

  it("reports `unknown` when the hub cannot be reached", async () => {
    const endpoint = process.env.HF_ENDPOINT;
    // A hub address nothing listens on: whether the token is good cannot be known.
    process.env.HF_ENDPOINT = "http://127.0.0.1:9";
    const offline = await startTestServer({ allow_private_download_urls: true });
    process.env.HF_ENDPOINT = endpoint;
    try {
      expect((await api(offline, "POST", `${M}/hf_login`, { token: "hf_any" })).body).toBe("unknown");
    } finally {
      await offline.dispose();
    }
  });

  it("starts an install from the hub's link and answers a page", async () => {
    const vae = await randomSafetensors(join(scratch, "linked-vae.safetensors"), vaeKeys(32));
    await hub.addRepo("people/linked-vae", { "vae.safetensors": vae });
    const response = await fetch(`${server.url}${M}/install/huggingface?source=people/linked-vae`);
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain("people/linked-vae");
    const id = Number(/install job (\d+)/.exec(page)?.[1]);
    expect(await finished(id)).toMatchObject({ status: "completed", config_out: { type: "vae", base: "flux2" } });
    const escaped = await fetch(`${server.url}${M}/install/huggingface?source=${encodeURIComponent("<b>x")}`);
    // A bad source is a JSON error, never echoed into the HTML page.
    expect(escaped.status).toBe(400);
    expect(escaped.headers.get("content-type")).toContain("application/json");
  });
});

describe("orphaned model folders", () => {
  it("lists folders with model files that no record points to, and deletes only those", async () => {
    const models = join(server.root, "models");
    const kept = await installFile("kept-lora.safetensors", kohyaLoraKeys(768, 4));
    await writeZeroSafetensors(join(models, "left-behind", "weights.safetensors"), vaeKeys(4));
    await writeFile(join(models, "left-behind", "notes.txt"), "hello");
    await mkdir(join(models, "no-models-here"), { recursive: true });
    await writeFile(join(models, "no-models-here", "readme.md"), "nothing");
    await writeZeroSafetensors(join(models, "sd-1", "lora", "old", "w.safetensors"), vaeKeys(4));

    const orphans = await api<{ path: string; absolute_path: string; files: string[]; size_bytes: number }[]>(
      server,
      "GET",
      `${M}/sync/orphaned`,
    );
    const byPath = Object.fromEntries(orphans.body.map((o) => [o.path, o]));
    expect(Object.keys(byPath).sort()).toEqual(["left-behind", "sd-1"]);
    expect(byPath["left-behind"]).toMatchObject({
      absolute_path: join(models, "left-behind"),
      files: ["weights.safetensors"],
    });
    expect(byPath["left-behind"].size_bytes).toBe(
      (await stat(join(models, "left-behind", "weights.safetensors"))).size + 5,
    );
    const keptDir = kept.config_out!.path.split("/")[0];
    expect(keptDir).not.toBe("left-behind");

    const deleted = await api<{ deleted: string[]; errors: Record<string, string> }>(
      server,
      "DELETE",
      `${M}/sync/orphaned`,
      { paths: ["left-behind", keptDir, "../outside", "no-models-here"] },
    );
    expect(deleted.body.deleted).toEqual(["left-behind"]);
    expect(Object.keys(deleted.body.errors).sort()).toEqual(["../outside", keptDir, "no-models-here"].sort());
    await expect(stat(join(models, "left-behind"))).rejects.toThrow();
    expect((await stat(join(models, keptDir))).isDirectory()).toBe(true);
    expect((await api(server, "GET", `${M}/i/${kept.config_out!.key}`)).status).toBe(200);
  });
});

describe("cache statistics", () => {
  it("reports the RAM budget in whole bytes and no VRAM figures", async () => {
    const small = await startTestServer({ max_cache_ram_gb: 0.3 });
    try {
      const stats = await api<Record<string, unknown>>(small, "GET", `${M}/stats`);
      expect(stats.body.cache_size).toBe(Math.floor(0.3 * 1024 ** 3));
      expect(Object.keys(stats.body).filter((k) => /vram/i.test(k))).toEqual([]);
    } finally {
      await small.dispose();
    }
  });
});
