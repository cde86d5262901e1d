// The user's main job over HTTP: install an ONNX pipeline through /api/v2/models/install, run the shipped
// text-to-image workflow with named inputs (the model given by name), wait for it, and fetch the image.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./support/test-server.js";

const FIXTURES = join(import.meta.dirname, "../../../../shared/fixtures/diffusion");

let server: TestServer;
let incoming: string;
beforeAll(async () => {
  server = await startTestServer();
  incoming = await mkdtemp(join(tmpdir(), "atelier-http-gen-"));
});
afterAll(async () => {
  await server.dispose();
  await rm(incoming, { recursive: true, force: true });
});

interface Job {
  id: number;
  status: string;
  error?: string | null;
  config_out?: { key: string; name: string } | null;
}

describe("generate an image over HTTP", () => {
  it("lists the shipped workflows in the library", async () => {
    const list = await api<{ items: { workflow_id: string; category: string }[] }>(
      server,
      "GET",
      "/api/v1/workflows/?categories=default&per_page=50",
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((w) => w.workflow_id)).toEqual(
      expect.arrayContaining(["text_to_image_sd15", "image_to_image_sd15"]),
    );
  });

  async function install(pipeline: string): Promise<string> {
    const source = join(incoming, pipeline);
    await cp(join(FIXTURES, pipeline, "onnx"), source, { recursive: true });
    const started = await api<Job>(server, "POST", `/api/v2/models/install?source=${encodeURIComponent(source)}`, {});
    expect(started.status).toBe(201);
    let job = started.body;
    for (let i = 0; i < 600 && !["completed", "error", "cancelled"].includes(job.status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await api<Job>(server, "GET", `/api/v2/models/install/${started.body.id}`)).body;
    }
    expect(job.error ?? null).toBeNull();
    expect(job.status).toBe("completed");
    return job.config_out!.name;
  }

  async function runWorkflow(
    id: string,
    inputs: Record<string, unknown>,
  ): Promise<{ width: number; height: number; name: string }> {
    const run = await api<{ item_ids: number[] }>(server, "POST", `/api/v1/workflows/i/${id}/run`, { inputs });
    expect(run.status).toBe(201);
    const waited = await api<{ status: string; images: { image_name: string }[]; error: unknown }>(
      server,
      "GET",
      `/api/v1/queue/default/i/${run.body.item_ids[0]}/wait?timeout=120`,
    );
    expect(waited.body.error).toBeNull();
    expect(waited.body.status).toBe("completed");
    const image = waited.body.images.at(-1)!;
    const png = await fetch(`${server.url}/api/v1/images/i/${image.image_name}/full`);
    expect(png.status).toBe(200);
    const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
    return { width: meta.width!, height: meta.height!, name: image.image_name };
  }

  it("installs the tiny SD1.5 ONNX export and runs text_to_image_sd15, then image_to_image_sd15, on it", async () => {
    const model = await install("tiny-sd15");
    const made = await runWorkflow("text_to_image_sd15", {
      "model.model": model,
      "positive.prompt": "a (lighthouse)1.2 on a cliff",
      "noise.seed": 7,
      "noise.width": 64,
      "noise.height": 96,
      "denoise.steps": 3,
      "denoise.scheduler": "dpmpp_2m_k",
    });
    expect([made.width, made.height]).toEqual([64, 96]);

    const redone = await runWorkflow("image_to_image_sd15", {
      "model.model": model,
      "image.image": { image_name: made.name },
      "positive.prompt": "a lighthouse at night",
      "denoise.denoising_start": 0.5,
      "denoise.steps": 4,
    });
    expect([redone.width, redone.height]).toEqual([64, 96]);

    const unknown = await api<{ detail: string }>(server, "POST", "/api/v1/workflows/i/text_to_image_sd15/run", {
      inputs: { "model.model": "not-installed" },
    });
    expect(unknown.status).toBe(422);
    expect(JSON.stringify(unknown.body)).toContain("names no installed model");
  }, 180_000);

  it("runs text_to_image_sdxl and text_to_image_flux on their tiny pipelines", async () => {
    const sdxl = await runWorkflow("text_to_image_sdxl", {
      "model.model": await install("tiny-sdxl"),
      "positive.prompt": "a lighthouse",
      "positive.style": "oil painting",
      "noise.width": 64,
      "noise.height": 64,
      "denoise.steps": 3,
    });
    expect([sdxl.width, sdxl.height]).toEqual([64, 64]);
    const flux = await runWorkflow("text_to_image_flux", {
      "model.model": await install("tiny-flux"),
      "prompt.prompt": "a lighthouse",
      "denoise.width": 64,
      "denoise.height": 48,
      "denoise.num_steps": 3,
    });
    expect([flux.width, flux.height]).toEqual([64, 48]);
  }, 180_000);
});
