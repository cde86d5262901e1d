import { readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import type { BaseModelType, SubModelType } from "@atelier/core";
import type { CacheableModel } from "../cache/model-cache.js";
import { ModelLoadError } from "../model-errors.js";
import { componentSizeBytes, loadComponentFolder, type ModelComponent } from "./folder-components.js";
import { LazyStateDict } from "./lazy-state-dict.js";
import type { ModelLoadRequest, ModelLoaderRegistry } from "./model-loader-registry.js";
import { loadOnnxComponent, loadTextEncoderComponent, onnxSizeBytes, type OnnxComponent } from "./onnx-session.js";

const PICKLE = new Set([".ckpt", ".pt", ".pth", ".bin"]);

function refusePickle(path: string): never {
  throw new ModelLoadError(
    path,
    `${extname(path)} files are pickles, which cannot be loaded without running their code; convert to .safetensors`,
    {
      path,
    },
  );
}

function stateDictModel(dict: LazyStateDict): CacheableModel<LazyStateDict> {
  return { model: dict, sizeBytes: dict.sizeBytes, dispose: () => dict.close() };
}

function componentModel(component: ModelComponent): CacheableModel<ModelComponent> {
  return { model: component, sizeBytes: componentSizeBytes(component), dispose: () => component.stateDict?.close() };
}

async function onnxModel(component: OnnxComponent): Promise<CacheableModel<OnnxComponent>> {
  return {
    model: component,
    sizeBytes: await onnxSizeBytes(component.path),
    dispose: () => component.session.release(),
  };
}

/** Where each submodel's weights sit inside a single-file SD / SDXL / FLUX checkpoint. */
function checkpointPrefix(base: BaseModelType, submodel: SubModelType, dict: LazyStateDict): string | undefined {
  switch (submodel) {
    case "unet":
    case "transformer":
      if (dict.view("model.diffusion_model.").size > 0) return "model.diffusion_model.";
      return base === "flux" || base === "flux2" ? "" : undefined;
    case "vae":
    case "vae_decoder":
    case "vae_encoder":
      return "first_stage_model.";
    case "text_encoder":
      return base === "sdxl" ? "conditioner.embedders.0." : "cond_stage_model.";
    case "text_encoder_2":
      return base === "sdxl"
        ? "conditioner.embedders.1."
        : base === "sdxl-refiner"
          ? "conditioner.embedders.0."
          : undefined;
    default:
      return undefined;
  }
}

/** Single-file safetensors models: a lazy state dict; a main checkpoint's submodel is the view of its prefix. */
async function loadSafetensorsFile(request: ModelLoadRequest): Promise<CacheableModel> {
  const { path, config, submodelType } = request;
  if (PICKLE.has(extname(path).toLowerCase())) refusePickle(path);
  const dict = await LazyStateDict.open(path);
  if (submodelType === null) return stateDictModel(dict);
  const prefix = config.type === "main" ? checkpointPrefix(config.base, submodelType, dict) : undefined;
  const view = prefix === undefined ? undefined : dict.view(prefix);
  if (view === undefined || view.size === 0) {
    await dict.close();
    throw new ModelLoadError(
      `model ${config.name} (${config.key})`,
      `the ${config.format} file has no ${submodelType} weights`,
      {
        key: config.key,
        submodel_type: submodelType,
      },
    );
  }
  return { model: view, sizeBytes: view.sizeBytes, dispose: () => dict.close() };
}

async function missingPart(request: ModelLoadRequest, part: string): Promise<never> {
  const entries = await readdir(request.path, { withFileTypes: true }).catch(() => []);
  const parts = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  throw new ModelLoadError(
    `model ${request.config.name} (${request.config.key})`,
    `it has no submodel ${part}${parts.length > 0 ? ` (it has: ${parts.join(", ")})` : ""}`,
    { key: request.config.key, submodel_type: part },
  );
}

async function folderExists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Diffusers folders: a main model's submodel is its part folder; a single-part model (VAE, ControlNet…) its root. */
async function loadDiffusersFolder(request: ModelLoadRequest): Promise<CacheableModel> {
  const { path, config, submodelType } = request;
  if (config.type !== "main" || submodelType === null) {
    if (config.type === "main") {
      throw new ModelLoadError(
        `model ${config.name} (${config.key})`,
        "a diffusers pipeline loads by submodel (unet, vae, text_encoder, …)",
        {
          key: config.key,
        },
      );
    }
    return componentModel(await loadComponentFolder(path, submodelType, config.repo_variant));
  }
  const part = submodelType === "vae_decoder" || submodelType === "vae_encoder" ? "vae" : submodelType;
  const folder = join(path, part);
  if (!(await folderExists(folder))) return missingPart(request, part);
  return componentModel(await loadComponentFolder(folder, submodelType, config.repo_variant));
}

/** ONNX pipelines: `<part>/model.onnx` becomes an InferenceSession; tokenizers and schedulers load as configs. */
async function loadOnnxFolder(request: ModelLoadRequest): Promise<CacheableModel> {
  const { path, config, submodelType } = request;
  if (extname(path).toLowerCase() === ".onnx")
    return onnxModel(await loadOnnxComponent(path, submodelType, request.device));
  if (submodelType === null) {
    throw new ModelLoadError(
      `model ${config.name} (${config.key})`,
      "an ONNX pipeline loads by submodel (unet, vae_decoder, text_encoder, …)",
      {
        key: config.key,
      },
    );
  }
  const folder = join(path, submodelType);
  if (!(await folderExists(folder))) return missingPart(request, submodelType);
  const file = join(folder, "model.onnx");
  if (
    await stat(file).then(
      () => true,
      () => false,
    )
  )
    return onnxModel(
      submodelType === "text_encoder" || submodelType === "text_encoder_2"
        ? await loadTextEncoderComponent(file, submodelType, request.device)
        : await loadOnnxComponent(file, submodelType, request.device),
    );
  return componentModel(await loadComponentFolder(folder, submodelType));
}

/** T5 encoder folders: the encoder in `text_encoder_2/` (InvokeAI's layout) or at the root; tokenizer beside it. */
async function loadT5EncoderFolder(request: ModelLoadRequest): Promise<CacheableModel> {
  const { path, submodelType } = request;
  const tokenizer = submodelType === "tokenizer" || submodelType === "tokenizer_2";
  const candidates = tokenizer ? ["tokenizer_2", "tokenizer", ""] : ["text_encoder_2", "text_encoder", ""];
  for (const sub of candidates) {
    const folder = sub === "" ? path : join(path, sub);
    if (await folderExists(folder)) {
      if (
        sub === "" ||
        (await stat(join(folder, tokenizer ? "tokenizer_config.json" : "config.json")).then(
          () => true,
          () => false,
        ))
      ) {
        return componentModel(await loadComponentFolder(folder, submodelType));
      }
    }
  }
  return missingPart(request, submodelType ?? "text_encoder_2");
}

/** Embedding folders: the `learned_embeds.safetensors` inside. */
async function loadEmbeddingFolder(request: ModelLoadRequest): Promise<CacheableModel> {
  return stateDictModel(await LazyStateDict.open(join(request.path, "learned_embeds.safetensors")));
}

/** Registers the built-in loaders: safetensors files, diffusers folders, ONNX pipelines, T5 and embedding folders. */
export function registerBuiltinLoaders(registry: ModelLoaderRegistry): void {
  for (const format of ["checkpoint", "lycoris", "embedding_file", "omi"] as const) {
    registry.register({ type: "any", format }, loadSafetensorsFile);
  }
  registry.register({ type: "any", format: "diffusers" }, loadDiffusersFolder);
  registry.register({ type: "any", format: "onnx" }, loadOnnxFolder);
  registry.register({ type: "any", format: "t5_encoder" }, loadT5EncoderFolder);
  registry.register({ type: "any", format: "embedding_folder" }, loadEmbeddingFolder);
}

/**
 * The default loader of `loadLocalModel` (InvokeAI: a folder loads `from_pretrained`, a file as a state dict): a
 * `.safetensors` file → lazy state dict; a `.onnx` file → session; a folder → its root component (configs and
 * weights). Pickles are refused.
 */
export async function loadLocalPath(path: string, device: string): Promise<CacheableModel> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new ModelLoadError(path, "no such file or folder", { path });
  if (info.isDirectory()) return componentModel(await loadComponentFolder(path, null));
  const ext = extname(path).toLowerCase();
  if (PICKLE.has(ext)) refusePickle(path);
  if (ext === ".onnx") return onnxModel(await loadOnnxComponent(path, null, device));
  if (ext === ".safetensors") return stateDictModel(await LazyStateDict.open(path));
  throw new ModelLoadError(path, `no default loader for ${ext || "files without an extension"}; pass a loader`, {
    path,
  });
}
