import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTokenizer } from "../../../src/inference/tokenizers/index.js";
import { DIFFUSION_FIXTURES, haveDiffusionFixtures, loadCase, row } from "../schedulers/support/diffusion-fixtures.js";

const model = (...parts: string[]) => join(DIFFUSION_FIXTURES, ...parts);

describe.runIf(haveDiffusionFixtures)("tokenizers against the reference cases", () => {
  it.each(["sd15_euler_4steps_cfg7.5", "sd15_ddim_10steps_cfg7.5", "sd15_dpmpp_2m_k_10steps_cfg7.5"])(
    "SD1.5 %s: input_ids and negative_input_ids",
    async (name) => {
      const { json, tensors } = loadCase(name);
      const tok = await loadTokenizer(model("tiny-sd15", "diffusers", "tokenizer"));
      expect(tok.tokenize(json.prompt as string).ids).toEqual(row(tensors.input_ids, 0));
      expect(tok.tokenize(json.negative_prompt as string).ids).toEqual(row(tensors.negative_input_ids, 0));
      const expectedUntruncated = json.prompt_num_tokens_untruncated_incl_bos_eos as number;
      expect(tok.tokenize(json.prompt as string).untruncatedLength).toBe(expectedUntruncated);
    },
  );

  it("SD1.5 ONNX folder tokenizer equals the diffusers one", async () => {
    const { json, tensors } = loadCase("sd15_euler_4steps_cfg7.5");
    const tok = await loadTokenizer(model("tiny-sd15", "onnx", "tokenizer"));
    expect(tok.tokenize(json.prompt as string).ids).toEqual(row(tensors.input_ids, 0));
  });

  it("SDXL: both tokenizers, the second padding with '!' = 0, an empty negative prompt", async () => {
    const { json, tensors } = loadCase("sdxl_euler_10steps_cfg7.5");
    const tok1 = await loadTokenizer(model("tiny-sdxl", "diffusers", "tokenizer"));
    const tok2 = await loadTokenizer(model("tiny-sdxl", "diffusers", "tokenizer_2"));
    expect(tok2.padId).toBe(0);
    expect(tok1.padId).toBe(999);
    expect(tok1.tokenize(json.prompt as string).ids).toEqual(row(tensors.input_ids, 0));
    expect(tok2.tokenize(json.prompt as string).ids).toEqual(row(tensors.input_ids_2, 0));
    expect(tok1.tokenize(json.negative_prompt as string).ids).toEqual(row(tensors.negative_input_ids, 0));
    expect(tok2.tokenize(json.negative_prompt as string).ids).toEqual(row(tensors.negative_input_ids_2, 0));
  });

  it("FLUX: CLIP ids and T5 ids (</s> appended, padded with 0 to 512)", async () => {
    const { json, tensors } = loadCase("flux_4steps_guidance3.5");
    const clip = await loadTokenizer(model("tiny-flux", "diffusers", "tokenizer"));
    const t5 = await loadTokenizer(model("tiny-flux", "diffusers", "tokenizer_2"));
    expect(t5.modelMaxLength).toBe(512);
    expect(clip.tokenize(json.prompt as string).ids).toEqual(row(tensors.clip_input_ids, 0));
    const t5ids = t5.tokenize(json.prompt as string, { maxLength: json.max_sequence_length as number }).ids;
    expect(t5ids).toHaveLength(512);
    expect(t5ids).toEqual(row(tensors.t5_input_ids, 0));
  });
});
