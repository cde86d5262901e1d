import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkModelKind, InvalidModelConfigError, MODEL_FORMATS_BY_TYPE } from "@atelier/engine";
import { kohyaLoraKeys } from "./support/model-fixtures.js";
import { managerFixture, randomSafetensors, type ManagerFixture } from "./support/model-manager-fixture.js";

let f: ManagerFixture | undefined;
afterEach(async () => {
  await f?.dispose();
  f = undefined;
});

describe("changing a model's kind", () => {
  it("refuses a type without its format (a LoRA as ONNX), keeping the record; accepts both changed together", async () => {
    f = await managerFixture({ overrides: { hashing_algorithm: "random" } });
    await randomSafetensors(join(f.root, "kind.safetensors"), kohyaLoraKeys(768));
    const lora = await f.manager.install.registerPath(join(f.root, "kind.safetensors"));
    expect(lora).toMatchObject({ type: "lora", format: "lycoris" });

    const error = await f.manager.records.update(lora.key, { format: "onnx" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidModelConfigError);
    expect((error as InvalidModelConfigError).status).toBe(422);
    expect((error as Error).message).toMatch(
      /cannot be type lora in format onnx: lora models come as lycoris, diffusers, omi/,
    );
    expect(await f.manager.records.get(lora.key)).toMatchObject({ type: "lora", format: "lycoris" });

    await expect(f.manager.records.update(lora.key, { type: "main" })).rejects.toThrow(/type main in format lycoris/);
    const main = await f.manager.records.update(lora.key, { type: "main", format: "checkpoint", base: "sd-1" });
    expect(main).toMatchObject({ type: "main", format: "checkpoint", base: "sd-1" });
    // Other fields are not a change of kind and stay editable.
    expect(await f.manager.records.update(lora.key, { name: "renamed" })).toMatchObject({ name: "renamed" });
  });

  it("knows every format the identification rules produce for each type", () => {
    expect(() => checkModelKind("main", "gguf_quantized", "x")).not.toThrow();
    expect(() => checkModelKind("main", "bnb_quantized_nf4b", "x")).not.toThrow();
    expect(() => checkModelKind("unknown", "unknown", "x")).not.toThrow();
    expect(() => checkModelKind("t5_encoder", "checkpoint", "x")).not.toThrow();
    expect(() => checkModelKind("vae", "lycoris", "x")).toThrow(InvalidModelConfigError);
    expect(MODEL_FORMATS_BY_TYPE.embedding).toEqual(["embedding_file", "embedding_folder"]);
  });
});
