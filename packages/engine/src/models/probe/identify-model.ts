import type { ModelType } from "@atelier/core";
import type { ModelRecordChanges } from "../configs/model-config.js";
import { InvalidModelError, UnidentifiedModelError } from "../model-errors.js";
import { KeyView, type IdentificationRule, type IdentifiedKind, type RuleOutcome } from "./identification-rule.js";
import { MODEL_FILE_EXTENSIONS, ModelOnDisk, PICKLE_EXTENSIONS } from "./model-on-disk.js";
import { controlNetFileRule, controlNetFolderRule } from "./rules/controlnet-rule.js";
import { embeddingFileRule, embeddingFolderRule } from "./rules/embedding-rule.js";
import { ipAdapterFileRule } from "./rules/ip-adapter-rule.js";
import { loraFileRule, loraFolderRule } from "./rules/lora-rule.js";
import { mainCheckpointRule } from "./rules/main-checkpoint-rule.js";
import { pipelineFolderRule } from "./rules/pipeline-folder-rule.js";
import {
  clipEmbedFileRule,
  clipEmbedFolderRule,
  clipVisionFolderRule,
  t5EncoderFileRule,
  t5EncoderFolderRule,
} from "./rules/text-encoder-rules.js";
import { vaeFileRule, vaeFolderRule } from "./rules/vae-rule.js";

/** Every rule, files and folders. Order does not decide the winner: the priority below does. */
export const IDENTIFICATION_RULES: readonly IdentificationRule[] = [
  mainCheckpointRule,
  loraFileRule,
  vaeFileRule,
  embeddingFileRule,
  controlNetFileRule,
  ipAdapterFileRule,
  t5EncoderFileRule,
  clipEmbedFileRule,
  pipelineFolderRule,
  loraFolderRule,
  vaeFolderRule,
  embeddingFolderRule,
  controlNetFolderRule,
  t5EncoderFolderRule,
  clipEmbedFolderRule,
  clipVisionFolderRule,
];

/** When several kinds match, main wins over LoRA over CLIP embed over the rest (InvokeAI's sort). */
const PRIORITY: Partial<Record<ModelType, number>> = { main: 0, lora: 1, clip_embed: 2 };
const priority = (type: ModelType) => PRIORITY[type] ?? 3;

/** The most files a folder without a config may hold and still be considered (InvokeAI's sanity check). */
const MAX_LOOSE_FOLDER_FILES = 50;

/** Options of `identifyModel`. */
export interface IdentifyOptions {
  /** Fields the user set (type, base, format, variant, …): they win over what identification finds. */
  overrides?: ModelRecordChanges;
  /** Return `unknown` instead of failing when nothing matches (config `allow_unknown_models`, default true). */
  allowUnknown?: boolean;
}

/** What identification found. */
export interface ModelIdentification {
  /** The kind, after overrides. */
  fields: IdentifiedKind;
  /** Why the model is `unknown` (null when a rule matched). */
  unknownReason: string | null;
  /** Every rule that matched, best first (before overrides). */
  matches: readonly { rule: string; fields: IdentifiedKind }[];
  /** Bytes read to decide (headers and JSON only). */
  bytesRead: number;
  /** Size of the file, or of every file in the folder. */
  sizeBytes: number;
  /** The file or folder name without extension. */
  stem: string;
}

const OVERRIDABLE: readonly (keyof IdentifiedKind & keyof ModelRecordChanges)[] = [
  "type",
  "format",
  "base",
  "variant",
  "prediction_type",
  "repo_variant",
  "config_path",
  "upcast_attention",
];

function applyOverrides(fields: IdentifiedKind, overrides: ModelRecordChanges | undefined): IdentifiedKind {
  if (overrides === undefined) return fields;
  const out: Record<string, unknown> = { ...fields };
  for (const key of OVERRIDABLE) if (overrides[key] !== undefined) out[key] = overrides[key];
  return out as unknown as IdentifiedKind;
}

/** Why nothing matched, in words a user can act on. */
async function unknownReasonFor(
  model: ModelOnDisk,
  outcomes: readonly { rule: string; outcome: RuleOutcome }[],
): Promise<string> {
  if (!model.isDirectory) {
    const ext = model.extension;
    if (!MODEL_FILE_EXTENSIONS.has(ext)) {
      return `extension ${ext || "(none)"} is not a model file extension (${[...MODEL_FILE_EXTENSIONS].join(", ")})`;
    }
    if (PICKLE_EXTENSIONS.has(ext)) {
      return `${ext} files are pickles whose tensor names cannot be read without running their code; convert to .safetensors or give type, base and format`;
    }
    if (ext === ".gguf") {
      const keys = new KeyView(await model.stateDictKeys());
      return `GGUF is identified for FLUX and FLUX.2 transformers only; none of its ${keys.size} tensors (e.g. ${keys.sample() || "none"}) says which model this is; give type, base and format`;
    }
    if (ext === ".onnx") return "a lone .onnx file; ONNX pipelines are folders with a model_index.json";
    const keys = new KeyView(await model.stateDictKeys());
    return `no rule recognised its ${keys.size} tensors (e.g. ${keys.sample() || "none"})`;
  }
  const files = await model.files();
  if (!files.includes("model_index.json") && !files.includes("config.json"))
    return "folder has no model_index.json or config.json";
  const reasons = outcomes.filter(
    (o) => o.outcome.kind === "no_match" && !/^no |^not /.test((o.outcome as { reason: string }).reason),
  );
  const detail = reasons.map((o) => (o.outcome as { reason: string }).reason);
  return detail.length > 0
    ? `no rule matched: ${[...new Set(detail)].join("; ")}`
    : "its configs match no known model kind";
}

/** Throws InvalidModelError when a folder without any config does not look like a model at all. */
async function checkLooseFolder(model: ModelOnDisk): Promise<void> {
  const files = await model.files();
  const configs = [
    "model_index.json",
    "config.json",
    "text_encoder_2/config.json",
    "learned_embeds.safetensors",
    "learned_embeds.bin",
  ];
  if (files.some((f) => configs.includes(f) || f.startsWith("pytorch_lora_weights."))) return;
  if (files.length > MAX_LOOSE_FOLDER_FILES) {
    throw new InvalidModelError(
      model.path,
      `folder without a model config holds ${files.length} files (more than ${MAX_LOOSE_FOLDER_FILES})`,
    );
  }
  const hasModelFile = files.some(
    (f) => f.split("/").length <= 3 && [...MODEL_FILE_EXTENSIONS].some((ext) => f.toLowerCase().endsWith(ext)),
  );
  if (!hasModelFile) throw new InvalidModelError(model.path, "folder holds no model file and no model config");
}

/**
 * Identifies a model file or folder by reading only safetensors headers and JSON configs (InvokeAI's
 * `ModelConfigFactory.from_model_on_disk`, §6.3): every rule is tried; of several matches main beats LoRA beats CLIP
 * embed; a rule that recognises its kind but finds it broken fails identification with its reason; nothing → `unknown`
 * with the reason recorded (or UnidentifiedModelError when unknown models are not allowed). Overrides win.
 */
export async function identifyModel(path: string, options: IdentifyOptions = {}): Promise<ModelIdentification> {
  const model = await ModelOnDisk.open(path);
  if (model.isDirectory) await checkLooseFolder(model);
  const target = model.isDirectory ? "folder" : "file";
  const overrideType = options.overrides?.type;

  const overridden =
    options.overrides?.type !== undefined &&
    options.overrides.base !== undefined &&
    options.overrides.format !== undefined;
  const outcomes: { rule: string; outcome: RuleOutcome }[] = [];
  for (const rule of IDENTIFICATION_RULES) {
    if (rule.target !== target) continue;
    let outcome: RuleOutcome;
    try {
      outcome = await rule.identify(model);
    } catch (error) {
      // A header this reader cannot parse does not stop a model whose kind the user stated outright.
      if (!(overridden && error instanceof InvalidModelError)) throw error;
      outcome = { kind: "invalid", reason: error.message };
    }
    outcomes.push({ rule: rule.name, outcome });
  }

  const matches = outcomes
    .filter(
      (o): o is { rule: string; outcome: { kind: "match"; fields: IdentifiedKind } } => o.outcome.kind === "match",
    )
    .map((o) => ({ rule: o.rule, fields: o.outcome.fields }))
    .sort((a, b) => priority(a.fields.type) - priority(b.fields.type));
  // A type the user asked for picks among the matches (a merged checkpoint may also be read as a LoRA).
  const preferred = overrideType === undefined ? matches : matches.filter((m) => m.fields.type === overrideType);
  const chosen = preferred[0] ?? (overrideType === undefined ? undefined : matches[0]);
  const base = { matches, bytesRead: 0, sizeBytes: model.sizeBytes, stem: model.stem };
  if (chosen !== undefined) {
    const fields = { ...chosen.fields };
    // Every diffusers folder records which file variant it holds (the loaders pick those files).
    if (fields.format === "diffusers" && fields.repo_variant === undefined) {
      fields.repo_variant = (await model.files()).some((f) => /\.fp16\.[a-z]+$/.test(f)) ? "fp16" : "";
    }
    return {
      ...base,
      fields: applyOverrides(fields, options.overrides),
      unknownReason: null,
      bytesRead: model.bytesRead,
    };
  }

  const broken = outcomes.filter((o) => o.outcome.kind === "invalid");
  if (broken.length > 0 && !overridden) {
    const reasons = broken.map((o) => `${o.rule}: ${(o.outcome as { reason: string }).reason}`);
    throw new InvalidModelError(path, reasons.join("; "), { reasons });
  }
  const reason =
    broken.length > 0
      ? broken.map((o) => `${o.rule}: ${(o.outcome as { reason: string }).reason}`).join("; ")
      : await unknownReasonFor(model, outcomes);
  if (!(options.allowUnknown ?? true) && !overridden) throw new UnidentifiedModelError(path, [reason]);
  const fields = applyOverrides({ type: "unknown", format: "unknown", base: "unknown" }, options.overrides);
  return { ...base, fields, unknownReason: reason, bytesRead: model.bytesRead };
}
