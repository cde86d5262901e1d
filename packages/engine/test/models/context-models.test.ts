import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AmbiguousModelError,
  createContextModels,
  UnknownModelError,
  type LazyStateDict,
  type ModelComponent,
} from "@atelier/engine";
import { startFakeHub, type FakeHub } from "../support/fake-hub.js";
import { kohyaLoraKeys } from "./support/model-fixtures.js";
import { managerFixture, randomSafetensors, type ManagerFixture } from "./support/model-manager-fixture.js";

const FIXTURES = join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");

let f: ManagerFixture;
let hub: FakeHub;
beforeAll(async () => {
  hub = await startFakeHub();
  f = await managerFixture({ hfEndpoint: hub.url, overrides: { hashing_algorithm: "random" } });
});
afterAll(async () => {
  await f.dispose();
  await hub.close();
});

describe("context.models", () => {
  it("finds, loads by key, identifier or attributes, and reports loading as progress", async () => {
    const sd = await f.manager.install.registerPath(join(FIXTURES, "tiny-sd15/diffusers"), { name: "tiny" });
    const progress: string[] = [];
    const models = createContextModels(f.manager, { signalProgress: (m) => progress.push(m), userId: "alice" });
    const identifier = {
      key: sd.key,
      hash: sd.hash,
      name: sd.name,
      base: sd.base,
      type: sd.type,
      submodel_type: "vae" as const,
    };

    expect(await models.exists(sd.key)).toBe(true);
    expect(await models.exists(identifier)).toBe(true);
    expect(await models.exists("missing")).toBe(false);
    expect(await models.getConfig(identifier)).toEqual(sd);
    await expect(models.getConfig("missing")).rejects.toBeInstanceOf(UnknownModelError);

    const vae = await models.load(identifier); // the identifier's submodel
    expect(vae).toMatchObject({ submodelType: "vae", config: { key: sd.key } });
    expect((vae.model as ModelComponent).className).toBe("AutoencoderKL");
    const unet = await models.load(identifier, "unet"); // an explicit submodel wins
    expect((unet.model as ModelComponent).submodelType).toBe("unet");
    expect(progress).toEqual(["Loading model tiny (vae)", "Loading model tiny (unet)"]);
    expect(f.log.filter((e) => e.name === "model_load_complete").at(-1)!.payload).toMatchObject({ user_id: "alice" });

    const byAttrs = await models.loadByAttrs("tiny", "sd-1", "main", "text_encoder");
    expect((byAttrs.model as ModelComponent).className).toBe("CLIPTextModel");
    await expect(models.loadByAttrs("tiny", "sdxl", "main")).rejects.toThrow(
      /Unknown model: no model named "tiny" with base sdxl and type main/,
    );
    await f.manager.install.registerPath(join(FIXTURES, "tiny-sd15/onnx"), { name: "tiny" });
    const twice = await models.loadByAttrs("tiny", "sd-1", "main").catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(AmbiguousModelError);
    expect((twice as Error).message).toMatch(/More than one model matches name "tiny", base sd-1, type main: keys /);

    expect((await models.searchByAttrs({ name: "tiny", format: "onnx" })).map((c) => c.format)).toEqual(["onnx"]);
    expect((await models.searchByPath(join(FIXTURES, "tiny-sd15/diffusers"))).map((c) => c.key)).toEqual([sd.key]);
    expect(models.getAbsolutePath(sd)).toBe(join(FIXTURES, "tiny-sd15/diffusers"));
    expect(models.getAbsolutePath("abc/x.safetensors")).toBe(join(f.manager.config.paths.models, "abc/x.safetensors"));
  });

  it("downloads remote models once into the download cache and loads them without a record", async () => {
    const bytes = await randomSafetensors(join(f.root, "remote-lora.safetensors"), kohyaLoraKeys(768));
    await hub.addRepo("people/remote", { "remote-lora.safetensors": bytes });
    const progress: string[] = [];
    const models = createContextModels(f.manager, { signalProgress: (m) => progress.push(m) });
    const url = hub.fileUrl("people/remote", "remote-lora.safetensors");
    const loaded = await models.loadRemoteModel(url);
    const dict = loaded.model as LazyStateDict;
    expect(dict.keys()).toContain("lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight");
    const requests = hub.requests.length;
    const again = await models.loadRemoteModel(url);
    expect(again.model).toBe(dict);
    expect(hub.requests.length).toBe(requests);
    expect(progress).toEqual([
      `Downloading model ${url}`,
      expect.stringMatching(/^Loading model .*remote-lora\.safetensors$/),
      `Downloading model ${url}`,
      expect.stringMatching(/^Loading model /),
    ]);
    expect(await models.searchByAttrs({ type: "lora" })).toEqual([]);
  });
});
