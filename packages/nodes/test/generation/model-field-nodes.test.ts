// vae_loader, clip_skip, model_identifier and scheduler through the queue with the tiny SD1.5 pipeline installed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTensor, type ModelIdentifierFieldValue } from "@atelier/core";
import {
  edge,
  openDiffusionHarness,
  resultOf,
  runGraph,
  type DiffusionHarness,
} from "../support/diffusion-fixtures.js";

let harness: DiffusionHarness;
let model: ModelIdentifierFieldValue;

beforeAll(async () => {
  harness = await openDiffusionHarness("atelier-model-fields-");
  model = await harness.install("tiny-sd15");
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

describe("model field nodes", () => {
  it("model_identifier passes an installed model on; scheduler passes its name on; clip_skip adds up", async () => {
    const item = await runGraph(harness.rt, {
      id: "fields",
      nodes: {
        any: { id: "any", type: "model_identifier", model },
        sched: { id: "sched", type: "scheduler", scheduler: "dpmpp_2m_k" },
        loader: { id: "loader", type: "main_model_loader", model },
        skip1: { id: "skip1", type: "clip_skip", skipped_layers: 1 },
        skip2: { id: "skip2", type: "clip_skip", skipped_layers: 2 },
      },
      edges: [edge("loader", "clip", "skip1", "clip"), edge("skip1", "clip", "skip2", "clip")],
    });
    expect(item.error_message ?? null).toBeNull();
    expect(resultOf(item, "any")).toMatchObject({ type: "model_identifier_output", model });
    expect(resultOf(item, "sched")).toEqual({ type: "scheduler_output", scheduler: "dpmpp_2m_k" });
    expect((resultOf(item, "skip1").clip as { skipped_layers: number }).skipped_layers).toBe(1);
    const clip = resultOf(item, "skip2").clip as { skipped_layers: number; text_encoder: ModelIdentifierFieldValue };
    expect(clip.skipped_layers).toBe(3);
    expect(clip.text_encoder).toMatchObject({ key: model.key, submodel_type: "text_encoder" });
  }, 60_000);

  it("vae_loader's VAE decodes like the main model's own", async () => {
    const data = new Float32Array(4 * 8 * 8).map((_, i) => Math.cos(i * 0.21));
    const name = await harness.services.tensors.save(createTensor("float32", [1, 4, 8, 8], data));
    const latents = { latents_name: name, seed: null };
    const item = await runGraph(harness.rt, {
      id: "vae",
      nodes: {
        vae: { id: "vae", type: "vae_loader", vae_model: model },
        loader: { id: "loader", type: "main_model_loader", model },
        a: { id: "a", type: "l2i", latents },
        b: { id: "b", type: "l2i", latents },
      },
      edges: [edge("vae", "vae", "a", "vae"), edge("loader", "vae", "b", "vae")],
    });
    expect(item.error_message ?? null).toBeNull();
    expect(resultOf(item, "vae")).toMatchObject({ vae: { vae: model, seamless_axes: [] } });
    const image = async (id: string) =>
      harness.services.images.getImage((resultOf(item, id).image as { image_name: string }).image_name, "RGB");
    const [a, b] = [await image("a"), await image("b")];
    expect([a.width, a.height]).toEqual([64, 64]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  }, 60_000);

  it("vae_loader and model_identifier fail naming the field and key for a model that is not installed", async () => {
    const missing = { ...model, key: "no-such-model" };
    const vae = await runGraph(harness.rt, {
      id: "missing",
      nodes: { vae: { id: "vae", type: "vae_loader", vae_model: missing } },
      edges: [],
    });
    expect(vae.status).toBe("failed");
    expect(vae.error_message).toMatch(/vae_model.*names no installed model \(key no-such-model\)/);
    const any = await runGraph(harness.rt, {
      id: "missing-any",
      nodes: { any: { id: "any", type: "model_identifier", model: missing } },
      edges: [],
    });
    expect(any.error_message).toMatch(/model.*names no installed model \(key no-such-model\)/);
  }, 60_000);
});
