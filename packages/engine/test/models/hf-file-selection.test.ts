import { describe, expect, it } from "vitest";
import { isPrivateAddress, selectHfFiles, tokenForUrl } from "@atelier/engine";

const files = (paths: string[]) => paths.map((path) => ({ path }));
const picked = (result: { relativePath: string }[]) => result.map((f) => f.relativePath);

describe("selectHfFiles", () => {
  const pipeline = files([
    ".gitattributes",
    "README.md",
    "model_index.json",
    "unet/config.json",
    "unet/diffusion_pytorch_model.safetensors",
    "unet/diffusion_pytorch_model.fp16.safetensors",
    "unet/diffusion_pytorch_model.bin",
    "vae/config.json",
    "vae/diffusion_pytorch_model.safetensors",
    "text_encoder/config.json",
    "text_encoder/model.safetensors",
    "text_encoder/pytorch_model.bin",
    "text_encoder/flax_model.msgpack",
    "tokenizer/vocab.json",
    "tokenizer/merges.txt",
    "safety_checker/config.json",
    "safety_checker/model.safetensors",
    "onnx/unet/model.onnx",
    "samples/cat.png",
  ]);

  it("keeps configs and one set of weights per part: the variant where a part has it, else the plain files", () => {
    expect(picked(selectHfFiles(pipeline, { variant: "fp16" }))).toEqual([
      "model_index.json",
      "safety_checker/config.json",
      "safety_checker/model.safetensors",
      "text_encoder/config.json",
      "text_encoder/model.safetensors",
      "tokenizer/merges.txt",
      "tokenizer/vocab.json",
      "unet/config.json",
      "unet/diffusion_pytorch_model.fp16.safetensors",
      "vae/config.json",
      "vae/diffusion_pytorch_model.safetensors",
    ]);
    expect(picked(selectHfFiles(pipeline, { variant: "" }))).toContain("unet/diffusion_pytorch_model.safetensors");
    expect(picked(selectHfFiles(pipeline, { variant: "" }))).not.toContain(
      "unet/diffusion_pytorch_model.fp16.safetensors",
    );
  });

  it("leaves out the parts model_index.json does not list, and re-roots a subfolder", () => {
    const parts = new Set(["unet", "vae", "text_encoder", "tokenizer", "scheduler"]);
    expect(
      picked(selectHfFiles(pipeline, { variant: "fp16", pipelineParts: parts })).some((p) =>
        p.startsWith("safety_checker/"),
      ),
    ).toBe(false);
    expect(picked(selectHfFiles(pipeline, { subfolders: ["vae"] }))).toEqual([
      "config.json",
      "diffusion_pytorch_model.safetensors",
    ]);
    expect(picked(selectHfFiles(pipeline, { subfolders: ["vae", "tokenizer"] }))).toEqual([
      "tokenizer/merges.txt",
      "tokenizer/vocab.json",
      "vae/config.json",
      "vae/diffusion_pytorch_model.safetensors",
    ]);
  });

  it("takes ONNX files only for the onnx variant (or a repo that has nothing else)", () => {
    expect(picked(selectHfFiles(pipeline, { variant: "onnx", subfolders: ["onnx"] }))).toEqual(["unet/model.onnx"]);
    const onnxRepo = files(["model_index.json", "unet/model.onnx", "unet/config.json", "text_encoder/model.onnx"]);
    expect(picked(selectHfFiles(onnxRepo))).toEqual([
      "model_index.json",
      "text_encoder/model.onnx",
      "unet/config.json",
      "unet/model.onnx",
    ]);
  });

  it("keeps shards (with their index), and prefers safetensors over pickles in a single-file repo", () => {
    const sharded = files([
      "config.json",
      "model.safetensors.index.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "pytorch_model-00001-of-00002.bin",
    ]);
    expect(picked(selectHfFiles(sharded))).toEqual([
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    expect(picked(selectHfFiles(files(["lora.safetensors", "lora.bin", "README.md"])))).toEqual(["lora.safetensors"]);
  });
});

describe("download guards", () => {
  it("classifies private, loopback and link-local addresses", () => {
    for (const address of [
      "127.0.0.1",
      "10.0.0.5",
      "172.20.1.1",
      "192.168.1.1",
      "169.254.169.254",
      "0.0.0.0",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "100.64.0.1",
    ]) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"]) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
  });

  it("picks remote_api_tokens by URL regex", () => {
    const tokens = [
      { url_regex: "civitai\\.com", token: "civ" },
      { url_regex: "huggingface\\.co/private", token: "hf" },
    ];
    expect(tokenForUrl("https://civitai.com/api/download/models/1", tokens)).toBe("civ");
    expect(tokenForUrl("https://huggingface.co/private/x/resolve/main/a", tokens)).toBe("hf");
    expect(tokenForUrl("https://example.com/a", tokens)).toBeUndefined();
  });
});
