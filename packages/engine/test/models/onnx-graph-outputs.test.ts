// Hidden-state outputs are added only to CLIP text encoders laid out as torch.onnx exports them, and never change
// what the model already outputs.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { withClipHiddenStates } from "@atelier/engine";

const FIXTURES = path.join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");
const read = async (relative: string) => new Uint8Array(await readFile(path.join(FIXTURES, relative)));

describe("CLIP hidden-state outputs", () => {
  it("leaves models that are not CLIP encoders, or already have the outputs, alone", async () => {
    for (const part of ["tiny-sd15/onnx/unet/model.onnx", "tiny-flux/onnx/text_encoder_2/model.onnx"]) {
      expect(withClipHiddenStates(await read(part), part), part).toBeNull();
    }
    // The SDXL export already has hidden_states.N.
    expect(withClipHiddenStates(await read("tiny-sdxl/onnx/text_encoder/model.onnx"), "sdxl te")).toBeNull();
  });

  it("adds hidden_states.0…L to the SD1.5 export without changing its other outputs", async () => {
    const file = "tiny-sd15/onnx/text_encoder/model.onnx";
    const bytes = await read(file);
    const patched = withClipHiddenStates(bytes, file)!;
    const [base, withStates] = await Promise.all([
      ort.InferenceSession.create(bytes),
      ort.InferenceSession.create(patched),
    ]);
    expect(withStates.outputNames).toEqual([
      ...base.outputNames,
      "hidden_states.0",
      "hidden_states.1",
      "hidden_states.2",
    ]);
    const ids = new ort.Tensor(
      "int64",
      BigInt64Array.from({ length: 77 }, (_, i) => BigInt((i * 37) % 1000)),
      [1, 77],
    );
    const [a, b] = await Promise.all([base.run({ input_ids: ids }), withStates.run({ input_ids: ids })]);
    for (const name of base.outputNames)
      expect(Array.from(b[name]!.data as Float32Array)).toEqual(Array.from(a[name]!.data as Float32Array));
    expect(b["hidden_states.1"]!.dims).toEqual([1, 77, 32]);
  });
});
