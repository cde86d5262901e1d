import type { BaseModelType, ModelFormat, ModelType } from "@atelier/core";
import type { ModelConfig } from "../configs/model-config.js";

/** A model the UI offers to install in one click (InvokeAI's StarterModel). */
export interface StarterModel {
  description: string;
  /** An install source: `owner/repo[:variant[:subfolder]]` or a URL. */
  source: string;
  name: string;
  base: BaseModelType;
  type: ModelType;
  format: ModelFormat | null;
  variant: string | null;
  is_installed: boolean;
  previous_names: string[];
  dependencies: StarterModelWithoutDependencies[] | null;
}

/** A dependency of a starter model (InvokeAI's StarterModelWithoutDependencies). */
export type StarterModelWithoutDependencies = Omit<StarterModel, "dependencies">;

/** A named set of starter models (InvokeAI's StarterModelBundle). */
export interface StarterModelBundle {
  name: string;
  models: StarterModel[];
}

/** The answer of `GET /starter_models` (InvokeAI's StarterModelResponse). */
export interface StarterModelResponse {
  starter_models: StarterModel[];
  starter_bundles: Record<string, StarterModelBundle>;
}

type StarterEntry = Omit<StarterModel, "is_installed" | "previous_names" | "dependencies"> & {
  previous_names?: string[];
};

// Atelier runs main models as ONNX exports (onnxruntime), so its starters are ONNX pipelines on the Hub, fetched
// with the `onnx` file variant. InvokeAI's PyTorch starters (checkpoints, diffusers folders) would install but
// could not run here, so they are not offered.
const STARTERS: readonly StarterEntry[] = [
  {
    name: "SD-Turbo (ONNX)",
    base: "sd-2",
    source: "stabilityai/sd-turbo:onnx",
    description: "Stability AI's one-step distillation of SD 2.1, as the ONNX export in its repo. 512×512, 1–4 steps.",
    type: "main",
    format: "onnx",
    variant: null,
  },
  {
    name: "SDXL-Turbo (ONNX)",
    base: "sdxl",
    source: "stabilityai/sdxl-turbo:onnx",
    description:
      "Stability AI's one-step distillation of SDXL 1.0, as the ONNX export in its repo. 512×512, 1–4 steps.",
    type: "main",
    format: "onnx",
    variant: null,
  },
];

/** Bundles by base, as InvokeAI groups them for its first-run screen. */
const BUNDLES: Readonly<Record<string, { name: string; sources: readonly string[] }>> = {
  "sd-2": { name: "Stable Diffusion 2 (ONNX)", sources: ["stabilityai/sd-turbo:onnx"] },
  sdxl: { name: "SDXL (ONNX)", sources: ["stabilityai/sdxl-turbo:onnx"] },
};

/** Whether an installed model came from a starter's source (or one of its earlier names). */
function isInstalled(entry: StarterEntry, installed: readonly Pick<ModelConfig, "source" | "name">[]): boolean {
  const sources = new Set([entry.source, entry.source.split(":")[0]]);
  return installed.some((m) => sources.has(m.source) || (entry.previous_names ?? []).includes(m.name));
}

/** The starter models and bundles, each marked installed when an installed model came from its source. */
export function starterModels(installed: readonly Pick<ModelConfig, "source" | "name">[]): StarterModelResponse {
  const models = STARTERS.map((entry): StarterModel => ({
    ...entry,
    previous_names: entry.previous_names ?? [],
    is_installed: isInstalled(entry, installed),
    dependencies: null,
  }));
  const bySource = new Map(models.map((m) => [m.source, m]));
  const starter_bundles = Object.fromEntries(
    Object.entries(BUNDLES).map(([key, bundle]) => [
      key,
      { name: bundle.name, models: bundle.sources.map((s) => bySource.get(s)).filter((m) => m !== undefined) },
    ]),
  );
  return { starter_models: models, starter_bundles };
}
