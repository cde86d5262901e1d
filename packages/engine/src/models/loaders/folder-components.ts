import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ModelRepoVariant, SubModelType } from "@atelier/core";
import { ModelLoadError } from "../model-errors.js";
import { configClassName } from "../probe/identification-rule.js";
import { LazyStateDict } from "./lazy-state-dict.js";

/** One part of a folder model (a diffusers/ONNX submodel, or the whole folder of a single-part model). */
export interface ModelComponent {
  readonly submodelType: SubModelType | null;
  /** The part's folder. */
  readonly path: string;
  /** The class the configs name (`UNet2DConditionModel`, `CLIPTokenizer`, …), when known. */
  readonly className: string | null;
  /** `config.json`, `scheduler_config.json` or `tokenizer_config.json` (or `model_index.json` for a whole pipeline). */
  readonly config: Readonly<Record<string, unknown>> | null;
  /** The files of the part folder (relative names), e.g. a tokenizer's `vocab.json`, `merges.txt`. */
  readonly files: readonly string[];
  /** The part's weights, read lazily; null for configs-only parts (scheduler, tokenizer). */
  readonly stateDict: LazyStateDict | null;
}

const CONFIG_FILES = [
  "config.json",
  "scheduler_config.json",
  "tokenizer_config.json",
  "preprocessor_config.json",
  "model_index.json",
];
const PICKLE_WEIGHTS = /\.(bin|pt|pth|ckpt)$/;

async function readJsonObject(path: string): Promise<Record<string, unknown> | null> {
  try {
    const json: unknown = JSON.parse(await readFile(path, "utf8"));
    return typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The safetensors files holding a part's weights: a sharded set named by its `*.safetensors.index.json`, else the
 * files of the wanted repo variant (`*.fp16.safetensors`), else the plain ones.
 */
export async function componentWeightFiles(
  folder: string,
  files: readonly string[],
  repoVariant: ModelRepoVariant | null | undefined,
): Promise<string[]> {
  const variant = repoVariant === "fp16" || repoVariant === "fp32" ? repoVariant : "";
  const indexes = files.filter((f) => f.endsWith(".safetensors.index.json"));
  const index =
    indexes.find((f) => variant !== "" && f.includes(`.${variant}.`)) ??
    indexes.find((f) => !/\.(fp16|fp32)\./.test(f)) ??
    indexes[0];
  if (index !== undefined) {
    const json = await readJsonObject(join(folder, index));
    const weightMap = json?.weight_map;
    if (typeof weightMap === "object" && weightMap !== null) {
      return [...new Set(Object.values(weightMap as Record<string, string>))].sort().map((f) => join(folder, f));
    }
  }
  const safetensors = files.filter((f) => f.endsWith(".safetensors"));
  const wanted = variant === "" ? [] : safetensors.filter((f) => f.endsWith(`.${variant}.safetensors`));
  const plain = safetensors.filter((f) => !/\.(fp16|fp32)\.safetensors$/.test(f));
  const chosen = wanted.length > 0 ? wanted : plain.length > 0 ? plain : safetensors;
  return chosen.sort().map((f) => join(folder, f));
}

/**
 * Loads a part folder: its config and (lazily) its safetensors weights. Pickle-only weights are refused: loading
 * them would run their code.
 */
export async function loadComponentFolder(
  folder: string,
  submodelType: SubModelType | null,
  repoVariant?: ModelRepoVariant | null,
): Promise<ModelComponent> {
  if (!(await isDirectory(folder))) throw new ModelLoadError(folder, "the folder does not exist", { path: folder });
  const files = (await readdir(folder, { withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
  let config: Record<string, unknown> | null = null;
  for (const name of CONFIG_FILES) {
    if (files.includes(name)) {
      config = await readJsonObject(join(folder, name));
      if (config !== null) break;
    }
  }
  const weights = await componentWeightFiles(folder, files, repoVariant);
  if (weights.length === 0 && files.some((f) => PICKLE_WEIGHTS.test(f))) {
    throw new ModelLoadError(
      folder,
      "its weights are pickles (.bin/.pt/.ckpt), which cannot be loaded safely; convert them to .safetensors",
      {
        path: folder,
      },
    );
  }
  const stateDict = weights.length > 0 ? await LazyStateDict.open(weights) : null;
  const className =
    configClassName(config) ?? (typeof config?.tokenizer_class === "string" ? config.tokenizer_class : null);
  return { submodelType, path: folder, className, config, files, stateDict };
}

/** The parts a pipeline's `model_index.json` lists as present (non-null), by submodel name. */
export async function pipelineComponents(folder: string): Promise<Record<string, string>> {
  const index = await readJsonObject(join(folder, "model_index.json"));
  const parts: Record<string, string> = {};
  for (const [name, value] of Object.entries(index ?? {})) {
    if (Array.isArray(value) && typeof value[1] === "string") parts[name] = value[1];
  }
  return parts;
}

/** Bytes a component holds once loaded: its weights, plus its config files. */
export function componentSizeBytes(component: ModelComponent): number {
  return (component.stateDict?.sizeBytes ?? 0) + 4096;
}
