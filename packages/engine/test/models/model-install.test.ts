import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { INSTALL_TEMP_PREFIX, hashModel, parseModelSource } from "@atelier/engine";
import { startFakeHub, type FakeHub } from "../support/fake-hub.js";
import { kohyaLoraKeys, vaeKeys, writeZeroSafetensors } from "./support/model-fixtures.js";
import { managerFixture, randomSafetensors, type ManagerFixture } from "./support/model-manager-fixture.js";

const FIXTURES = join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");
const LORA = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k";

let hub: FakeHub;
let scratch: string;
let fixture: ManagerFixture | undefined;
/** A 1.2 MB LoRA with random weights, served as `people/loras` file `detail.safetensors`. */
let loraBytes: Buffer;

beforeAll(async () => {
  hub = await startFakeHub();
  scratch = await mkdtemp(join(tmpdir(), "atelier-install-src-"));
  loraBytes = await randomSafetensors(join(scratch, "detail.safetensors"), {
    ...kohyaLoraKeys(768),
    [`${LORA}.lora_mid.weight`]: ["F32", [300, 1000]],
  });
  await hub.addRepo("people/loras", { "detail.safetensors": loraBytes, "README.md": "# detail" });
  await hub.addRepo("tiny/sd15", join(FIXTURES, "tiny-sd15/diffusers"));
  await hub.addRepo("people/private-lora", { "secret.safetensors": loraBytes.subarray(0) }, { token: "s3cret" });
});
afterAll(async () => {
  await hub.close();
  await rm(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  hub.throttle(0, 0);
  hub.pageSize(undefined);
  await fixture?.dispose();
  fixture = undefined;
});

async function setup(options: Parameters<typeof managerFixture>[0] = {}): Promise<ManagerFixture> {
  fixture = await managerFixture({ hfEndpoint: hub.url, ...options });
  return fixture;
}

async function loraFile(name: string, width = 768): Promise<string> {
  const path = join(scratch, `${Math.random().toString(36).slice(2)}`, name);
  await randomSafetensors(path, kohyaLoraKeys(width));
  return path;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Every file under the models folder, relative; temp and part files included. */
async function modelsTree(f: ManagerFixture): Promise<string[]> {
  const dir = f.manager.config.paths.models;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe("install from a local path", () => {
  it("moves the model into models/<key>/, records it with a relative path, and emits install events", async () => {
    const f = await setup();
    const source = await loraFile("my-lora.safetensors");
    const expectedHash = await hashModel(source);
    const job = f.manager.install.heuristicImport(source, { description: "a test LoRA" });
    await job.wait();
    expect(job.status).toBe("completed");
    const config = job.configOut!;
    expect(config).toMatchObject({
      type: "lora",
      base: "sd-1",
      format: "lycoris",
      name: "my-lora",
      description: "a test LoRA",
      hash: expectedHash,
      path: `${config.key}/my-lora.safetensors`,
      source,
      source_type: "path",
      default_settings: { weight: 0.75 },
    });
    expect(await stat(source).catch(() => null)).toBeNull();
    expect(await modelsTree(f)).toEqual([`${config.key}/my-lora.safetensors`]);
    expect(await f.manager.records.get(config.key)).toEqual(config);
    expect(f.names()).toEqual(["model_install_started", "model_install_complete"]);
    expect(f.log[1].payload).toMatchObject({
      id: job.id,
      key: config.key,
      source: { type: "local", path: source, inplace: false },
    });
    expect(job.toDTO()).toMatchObject({ status: "completed", config_out: config, error: null, inplace: false });
  });

  it("registers in place, refuses a duplicate, and deletes files only inside models/", async () => {
    const f = await setup();
    const source = await loraFile("keep-me.safetensors");
    const config = await f.manager.install.registerPath(source);
    expect(config.path).toBe(source);
    expect(await modelsTree(f)).toEqual([]);

    // Same bytes again (in place or moved): one record, a clear error naming the existing one.
    const again = f.manager.install.heuristicImport(source, undefined, { inplace: true });
    await again.wait();
    expect(again.status).toBe("error");
    expect(again.toDTO()).toMatchObject({ error_type: "DuplicateModelError" });
    expect(again.error!.message).toMatch(new RegExp(`already installed as keep-me \\(key ${config.key}`));
    const copy = join(scratch, "copy-of-keep-me.safetensors");
    await copyFile(source, copy);
    const moved = f.manager.install.heuristicImport(copy);
    await moved.wait();
    expect(moved.status).toBe("error");
    expect(await stat(copy).then(() => true)).toBe(true); // put back where the user had it
    expect(await modelsTree(f)).toEqual([]);
    expect(await f.manager.records.list()).toHaveLength(1);

    // Deleting an in-place model keeps the user's file; deleting an installed one removes models/<key>/.
    expect(await f.manager.install.delete(config.key)).toEqual({ key: config.key, files_deleted: false });
    expect(await stat(source).then(() => true)).toBe(true);
    const installed = await f.manager.install.installPath(copy);
    expect(await modelsTree(f)).toEqual([`${installed.key}/copy-of-keep-me.safetensors`]);
    expect(await f.manager.install.delete(installed.key)).toEqual({ key: installed.key, files_deleted: true });
    expect(await readdir(f.manager.config.paths.models)).toEqual([]);
    await expect(f.manager.records.get(installed.key)).rejects.toThrow(/Unknown model: no model has key/);
  });

  it("installs an unidentifiable file as unknown with its reason, with overrides, or refuses it", async () => {
    const f = await setup();
    const odd = join(scratch, "odd.safetensors");
    await writeZeroSafetensors(odd, { "mystery.weight": ["F32", [16]] });
    const unknown = await f.manager.install.registerPath(odd);
    expect(unknown).toMatchObject({
      type: "unknown",
      base: "unknown",
      format: "unknown",
      unknown_reason: expect.stringMatching(/no rule recognised/),
    });
    // The user says what it is later.
    const fixed = await f.manager.records.update(unknown.key, { type: "lora", base: "sd-1", format: "lycoris" });
    expect(fixed).toMatchObject({ type: "lora", base: "sd-1", format: "lycoris" });

    const strict = await managerFixture({ overrides: { allow_unknown_models: false } });
    try {
      const odd2 = join(scratch, "odd2.safetensors");
      await writeZeroSafetensors(odd2, { "mystery2.weight": ["F32", [16]] });
      const job = strict.manager.install.heuristicImport(odd2, undefined, { inplace: true });
      await job.wait();
      expect(job.toDTO()).toMatchObject({ status: "error", error_type: "UnidentifiedModelError" });
      const forced = await strict.manager.install.registerPath(odd2, {
        type: "vae",
        base: "sd-1",
        format: "checkpoint",
        name: "forced",
      });
      expect(forced).toMatchObject({ type: "vae", name: "forced" });
    } finally {
      await strict.dispose();
    }
  });

  it("parses sources as InvokeAI does", () => {
    expect(parseModelSource(scratch)).toEqual({ type: "local", path: scratch, inplace: false });
    expect(parseModelSource("stabilityai/sdxl-vae")).toMatchObject({
      type: "hf",
      repo_id: "stabilityai/sdxl-vae",
      variant: null,
      subfolder: null,
    });
    expect(parseModelSource("owner/repo:fp16:vae")).toMatchObject({ type: "hf", variant: "fp16", subfolder: "vae" });
    expect(parseModelSource("owner/repo::unet+vae")).toMatchObject({
      type: "hf",
      variant: null,
      subfolder: "unet+vae",
    });
    expect(parseModelSource("https://example.com/x.safetensors")).toMatchObject({
      type: "url",
      url: "https://example.com/x.safetensors",
    });
    expect(() => parseModelSource("owner/repo:fp8")).toThrow(/unknown repo variant "fp8"/);
    expect(() => parseModelSource("ftp://x/y")).toThrow(/only http and https URLs/);
    expect(() => parseModelSource("no such thing")).toThrow(/not an existing path, a Hugging Face repo id/);
  });
});

describe("install from a URL and from the hub", () => {
  it("downloads a URL to a temp name, then installs it, with download and install events", async () => {
    const f = await setup();
    const url = hub.fileUrl("people/loras", "detail.safetensors");
    const job = f.manager.install.heuristicImport(url);
    await job.wait();
    expect(job.toDTO()).toMatchObject({ status: "completed", bytes: loraBytes.length, total_bytes: loraBytes.length });
    const config = job.configOut!;
    expect(config).toMatchObject({
      type: "lora",
      base: "sd-1",
      source: url,
      source_type: "url",
      path: `${config.key}/detail.safetensors`,
    });
    expect(sha256(await readFile(join(f.manager.config.paths.models, config.path)))).toBe(sha256(loraBytes));
    expect(await modelsTree(f)).toEqual([`${config.key}/detail.safetensors`]);
    const names = f.names();
    expect(names[0]).toBe("download_started");
    expect(names).toContain("model_install_download_started");
    expect(names.indexOf("download_complete")).toBeLessThan(names.indexOf("model_install_downloads_complete"));
    expect(names.slice(-3)).toEqual([
      "model_install_downloads_complete",
      "model_install_started",
      "model_install_complete",
    ]);
    const progress = f.log.filter((e) => e.name === "model_install_download_progress").at(-1)!;
    expect(progress.payload).toMatchObject({
      bytes: loraBytes.length,
      total_bytes: loraBytes.length,
      parts: [{ url, bytes: loraBytes.length }],
    });
  });

  it("installs a diffusers repo from the hub: listing (paginated), variant fallback, repo folder, source_api_response", async () => {
    const f = await setup();
    hub.pageSize(4);
    const job = f.manager.install.heuristicImport("tiny/sd15");
    await job.wait();
    expect(job.status).toBe("completed");
    const config = job.configOut!;
    expect(config).toMatchObject({
      type: "main",
      format: "diffusers",
      base: "sd-1",
      source: "tiny/sd15",
      source_type: "hf_repo_id",
      path: config.key,
    });
    expect(JSON.parse(config.source_api_response!)).toMatchObject({ id: "tiny/sd15" });
    const tree = await modelsTree(f);
    expect(tree).toContain(`${config.key}/model_index.json`);
    expect(tree).toContain(`${config.key}/unet/diffusion_pytorch_model.safetensors`);
    expect(tree).toContain(`${config.key}/tokenizer/vocab.json`);
    expect(tree.some((p) => p.startsWith(INSTALL_TEMP_PREFIX))).toBe(false);
    // Same weights as the fixture, so the folder hash is the fixture's.
    expect(config.hash).toBe(await hashModel(join(FIXTURES, "tiny-sd15/diffusers")));
    expect(hub.requests.filter((r) => r.path.includes("/tree/main")).length).toBeGreaterThan(1);
    expect(job.toDTO().source_metadata).toMatchObject({ type: "hf", repo_id: "tiny/sd15" });

    // A subfolder becomes the model's root.
    const vae = f.manager.install.heuristicImport("tiny/sd15::vae");
    await vae.wait();
    expect(vae.configOut).toMatchObject({ type: "vae", format: "diffusers", base: "sd-1", source: "tiny/sd15::vae" });
    expect((await modelsTree(f)).filter((p) => p.startsWith(`${vae.configOut!.key}/`)).sort()).toEqual([
      `${vae.configOut!.key}/config.json`,
      `${vae.configOut!.key}/diffusion_pytorch_model.safetensors`,
    ]);
  });

  it("picks the fp16 files of a part when asked and the repo has them", async () => {
    const f = await setup();
    const plain = await randomSafetensors(join(scratch, "plain-vae.safetensors"), vaeKeys(4));
    const half = await randomSafetensors(join(scratch, "half-vae.safetensors"), vaeKeys(4));
    await hub.addRepo("people/vae", {
      "config.json": JSON.stringify({ _class_name: "AutoencoderKL", latent_channels: 4, scaling_factor: 0.13025 }),
      "diffusion_pytorch_model.safetensors": plain,
      "diffusion_pytorch_model.fp16.safetensors": half,
      "diffusion_pytorch_model.bin": "pickle",
    });
    const job = f.manager.install.heuristicImport("people/vae:fp16");
    await job.wait();
    expect(job.configOut).toMatchObject({ type: "vae", base: "sdxl", repo_variant: "fp16" });
    expect((await modelsTree(f)).map((p) => p.split("/").slice(1).join("/")).sort()).toEqual([
      "config.json",
      "diffusion_pytorch_model.fp16.safetensors",
    ]);
  });

  it("resumes a cut connection with Range + If-Range and installs the whole file", async () => {
    const f = await setup();
    hub.cutAfter("detail.safetensors", 300_000, 2);
    const before = hub.requests.length;
    const job = f.manager.install.heuristicImport("people/loras");
    await job.wait();
    expect(job.status).toBe("completed");
    const downloads = hub.requests.slice(before).filter((r) => r.path.includes("/resolve/"));
    expect(downloads.map((r) => r.status)).toEqual([200, 206, 206]);
    // The client resumes from what reached it (at most what was sent before the cut).
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(downloads[1].range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(300_000);
    expect(downloads[1].ifRange).toMatch(/^"[0-9a-f]{32}"$/);
    expect(sha256(await readFile(join(f.manager.config.paths.models, job.configOut!.path)))).toBe(sha256(loraBytes));
  });

  it("fails on a wrong token (401) and a missing repo or file (404); remote_api_tokens supply the right token", async () => {
    const f = await setup({
      overrides: { remote_api_tokens: [{ url_regex: "private-lora/resolve", token: "s3cret" }] },
    });
    const wrong = f.manager.install.heuristicImport("people/private-lora", undefined, { accessToken: "nope" });
    await wrong.wait();
    expect(wrong.toDTO()).toMatchObject({ status: "error", error_type: "DownloadHttpError" });
    expect(wrong.error!.message).toMatch(/answered 401 .*access token is missing or wrong/);
    expect(f.log.at(-1)).toMatchObject({
      name: "model_install_error",
      payload: { id: wrong.id, error_type: "DownloadHttpError" },
    });

    const missing = f.manager.install.heuristicImport("people/nothing-here");
    await missing.wait();
    expect(missing.error!.message).toMatch(/answered 404 .*no such repo/);
    const missingFile = f.manager.install.heuristicImport(hub.fileUrl("people/loras", "gone.safetensors"));
    await missingFile.wait();
    expect(missingFile.toDTO()).toMatchObject({ status: "error", error_type: "DownloadHttpError" });

    // The URL matches the token's regex: sent as a bearer token, and the download works.
    const url = hub.fileUrl("people/private-lora", "secret.safetensors");
    const ok = f.manager.install.heuristicImport(url);
    await ok.wait();
    expect(ok.status).toBe("completed");
    expect(hub.requests.filter((r) => r.path.includes("private-lora/resolve")).at(-1)!.authorization).toBe(
      "Bearer s3cret",
    );
    expect(await f.manager.records.list()).toHaveLength(1);
    expect((await modelsTree(f)).some((p) => p.startsWith(INSTALL_TEMP_PREFIX))).toBe(false);
  });

  it("refuses a repo listing with a file path that would leave the download folder", async () => {
    const f = await setup();
    await hub.addRepo("evil/paths", { "/escape.safetensors": loraBytes, "../up.json": "{}" });
    const job = f.manager.install.heuristicImport("evil/paths");
    await job.wait();
    expect(job.toDTO()).toMatchObject({ status: "error", error_type: "InvalidModelSourceError" });
    expect(job.error!.message).toMatch(/the hub listed an unsafe file path "\/escape\.safetensors"/);
    expect(hub.requests.some((r) => r.path.startsWith("/evil/paths/resolve/"))).toBe(false);
  });

  it("cancels mid-download: nothing registered, no partial file left", async () => {
    const f = await setup();
    hub.throttle(16 * 1024, 15);
    const job = f.manager.install.heuristicImport("people/loras");
    await hub.whenSent("detail.safetensors", 64 * 1024);
    expect(job.status).toBe("downloading");
    expect((await modelsTree(f)).some((p) => p.endsWith("detail.safetensors.part"))).toBe(true);
    await f.manager.install.cancelJob(job.id);
    await job.wait();
    expect(job.status).toBe("cancelled");
    expect(await f.manager.records.list()).toEqual([]);
    expect(await modelsTree(f)).toEqual([]);
    expect(f.names()).toContain("model_install_cancelled");
    expect(f.names()).toContain("download_cancelled");
    expect(f.names()).not.toContain("model_install_complete");
  });

  it("pauses and resumes a download from its partial bytes", async () => {
    const f = await setup();
    hub.throttle(16 * 1024, 15);
    const job = f.manager.install.heuristicImport(hub.fileUrl("people/loras", "detail.safetensors"));
    await hub.whenSent("detail.safetensors", 100 * 1024);
    f.manager.install.pauseJob(job.id);
    await f.manager.downloads.whenSettled(job.parts[0]);
    expect(job.status).toBe("paused");
    const partial = job.parts[0].bytes;
    expect(partial).toBeGreaterThan(0);
    expect((await stat(job.parts[0].partPath)).size).toBe(partial);
    expect(await f.manager.records.list()).toEqual([]);
    expect(() => f.manager.install.resumeJob(9999)).toThrow(/job 9999 was not found/);

    hub.throttle(0, 0);
    const before = hub.requests.length;
    f.manager.install.resumeJob(job.id);
    await job.wait();
    expect(job.status).toBe("completed");
    const resumed = hub.requests.slice(before).find((r) => r.path.includes("/resolve/"))!;
    expect(resumed).toMatchObject({ range: `bytes=${partial}-`, status: 206 });
    expect(sha256(await readFile(join(f.manager.config.paths.models, job.configOut!.path)))).toBe(sha256(loraBytes));
    expect(f.names()).toContain("download_paused");
    expect(() => f.manager.install.pauseJob(job.id)).toThrow(/job \d+ is completed: cannot pause it/);
  });

  it("refuses loopback and private addresses unless allow_private_download_urls is set", async () => {
    const f = await setup({ overrides: { allow_private_download_urls: false } });
    for (const url of [
      hub.fileUrl("people/loras", "detail.safetensors"),
      "http://localhost:9/x.safetensors",
      "http://[::1]:9/x.safetensors",
      "http://10.1.2.3/x.safetensors",
    ]) {
      const job = f.manager.install.heuristicImport(url);
      await job.wait();
      expect(job.toDTO()).toMatchObject({ status: "error", error_type: "PrivateDownloadUrlError" });
      expect(job.error!.message).toMatch(/private or loopback address/);
    }
    const hf = f.manager.install.heuristicImport("people/loras");
    await hf.wait();
    expect(hf.toDTO().error_type).toBe("PrivateDownloadUrlError");
  });

  it("downloads and caches a source without registering it; the second call makes no request", async () => {
    const f = await setup();
    const url = hub.fileUrl("people/loras", "detail.safetensors");
    const [first, concurrent] = await Promise.all([
      f.manager.install.downloadAndCacheModel(url),
      f.manager.install.downloadAndCacheModel(url),
    ]);
    expect(concurrent).toBe(first);
    expect(first.startsWith(f.manager.config.paths.downloadCache)).toBe(true);
    expect(sha256(await readFile(first))).toBe(sha256(loraBytes));
    const requests = hub.requests.length;
    expect(await f.manager.install.downloadAndCacheModel(url)).toBe(first);
    expect(hub.requests.length).toBe(requests);
    expect(await f.manager.records.list()).toEqual([]);

    const repo = await f.manager.install.downloadAndCacheModel("tiny/sd15::text_encoder");
    expect((await readdir(repo)).sort()).toEqual(["config.json", "model.safetensors"]);
    expect((await readdir(f.manager.config.paths.downloadCache)).filter((n) => n.startsWith(".tmp"))).toEqual([]);
  });

  it("lists a repo's model files (GET /hugging_face)", async () => {
    const f = await setup();
    expect(await f.manager.install.listHuggingFace("people/loras")).toEqual({
      urls: [hub.fileUrl("people/loras", "detail.safetensors")],
      is_diffusers: false,
    });
    const sd = await f.manager.install.listHuggingFace("tiny/sd15");
    expect(sd.is_diffusers).toBe(true);
    expect(sd.urls).toContain(hub.fileUrl("tiny/sd15", "unet/diffusion_pytorch_model.safetensors"));
  });
});

describe("models folder scanning", () => {
  it("registers unregistered models found in models/ at start-up (scan_models_on_startup), once", async () => {
    const root = await mkdtemp(join(tmpdir(), "atelier-scan-"));
    try {
      const models = join(root, "models");
      await mkdir(join(models, "loras"), { recursive: true });
      await randomSafetensors(join(models, "loras", "a.safetensors"), kohyaLoraKeys(768));
      await mkdir(join(models, `${INSTALL_TEMP_PREFIX}leftover`), { recursive: true });
      await writeFile(join(models, `${INSTALL_TEMP_PREFIX}leftover`, "half.part"), "x");
      const first = await managerFixture({ root, overrides: { scan_models_on_startup: true } });
      const found = await first.manager.records.list();
      expect(found.map((c) => [c.path, c.type])).toEqual([["loras/a.safetensors", "lora"]]);
      expect(await readdir(models)).toEqual(["loras"]); // the interrupted install's temp folder is gone
      expect(await first.manager.install.scanFolder(join(models, "loras"))).toEqual([
        { path: join(models, "loras", "a.safetensors"), is_installed: true },
      ]);
      await first.dispose();
      const second = await managerFixture({ root, overrides: { scan_models_on_startup: true } });
      expect(await second.manager.records.list()).toHaveLength(1);
      await second.dispose();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
