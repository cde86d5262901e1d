import { BASE_MODEL_TYPES, MODEL_FORMATS, MODEL_SOURCE_TYPES, MODEL_TYPES } from "@atelier/core";
import { INSTALL_STATUSES, MODEL_RECORD_ORDER_BY, ModelRecordChangesSchema } from "@atelier/engine";
import { z } from "zod";
import { JsonObject, named } from "./api-registry.js";

// Schemas of `/api/v2/models/*` (InvokeAI's model_manager router). A model config is one loose object: the common
// fields are typed and each kind's own fields pass through, as the engine stores them.

// Same ids and values as the node SDK's enums, so the document has one component for each.
export const BaseModelType = named(
  "BaseModelType",
  z.enum(BASE_MODEL_TYPES),
  "An enumeration of base model architectures. For example, Stable Diffusion 1.x, Stable Diffusion 2.x, FLUX, etc.",
);
export const ModelType = named("ModelType", z.enum(MODEL_TYPES), "Model type.");
export const ModelFormat = named("ModelFormat", z.enum(MODEL_FORMATS), "Storage format of model.");
export const ModelRecordOrderBy = named(
  "ModelRecordOrderBy",
  z.enum(MODEL_RECORD_ORDER_BY),
  "The order in which to return model summaries.",
);

export const AnyModelConfig = named(
  "AnyModelConfig",
  z.looseObject({
    key: z.string().describe("A unique key for this model."),
    hash: z.string().describe("The hash of the model file(s)."),
    path: z
      .string()
      .describe("Path to the model on the filesystem. Relative paths are relative to the models directory."),
    file_size: z.number().int().describe("The size of the model in bytes."),
    name: z.string().describe("Name of the model."),
    description: z.string().nullable().describe("Model description"),
    source: z.string().describe("The original source of the model (path, URL or repo_id)."),
    source_type: z.enum(MODEL_SOURCE_TYPES).describe("The type of source"),
    source_api_response: z
      .string()
      .nullable()
      .describe("The original API response from the source, as stringified JSON."),
    cover_image: z.string().nullable().describe("Url for image to preview model"),
    type: ModelType,
    format: ModelFormat,
    base: BaseModelType,
  }),
  "A model's config record; fields beyond the common ones depend on its type, format and base.",
);

export const ModelRecordChanges = named(
  "ModelRecordChanges",
  ModelRecordChangesSchema,
  "A set of changes to apply to a model.",
);

export const ModelsList = named("ModelsList", z.object({ models: z.array(AnyModelConfig) }), "Return list of configs.");

export const FoundModel = named(
  "FoundModel",
  z.object({
    path: z.string().describe("Path to the model"),
    is_installed: z.boolean().describe("Whether or not the model is already installed"),
  }),
);

export const HuggingFaceModels = named(
  "HuggingFaceModels",
  z.object({
    urls: z.array(z.string()).describe("URLs for all checkpoint format models in the metadata"),
    is_diffusers: z.boolean().describe("Whether the metadata is for a Diffusers format model"),
  }),
);

export const DownloadJob = named(
  "DownloadJob",
  z.object({
    id: z.number().int(),
    source: z.string(),
    download_path: z.string(),
    status: z.enum(["waiting", "running", "paused", "completed", "cancelled", "error"]),
    bytes: z.number().int(),
    total_bytes: z.number().int(),
    priority: z.number().int(),
    content_type: z.string().nullable(),
    etag: z.string().nullable(),
    error_type: z.string().nullable(),
    error: z.string().nullable(),
    job_started: z.string().nullable(),
    job_ended: z.string().nullable(),
  }),
);

export const ModelInstallJob = named(
  "ModelInstallJob",
  z.object({
    id: z.number().int().describe("Unique ID for this job"),
    status: z.enum(INSTALL_STATUSES).describe("Current status of install process"),
    error_reason: z.string().nullable().describe("Information about why the job failed"),
    config_in: JsonObject.describe("Configuration information (e.g. 'description') to apply to model."),
    config_out: AnyModelConfig.nullable().describe(
      "After successful installation, this will hold the configuration object.",
    ),
    inplace: z.boolean().describe("Leave model in its current location; otherwise install under models directory"),
    source: JsonObject.describe("Source (URL, repo_id, or local path) of model"),
    local_path: z.string().describe("Path to locally-downloaded model; may be the same as the source"),
    bytes: z.number().int().describe("For a remote model, the number of bytes downloaded so far."),
    total_bytes: z.number().int().describe("Total size of the model to be installed"),
    source_metadata: JsonObject.nullable().describe("Metadata provided by the model source"),
    download_parts: z.array(DownloadJob).describe("Download jobs contributing to this install"),
    error_type: z.string().nullable().describe("Class name of the exception that led to status==ERROR"),
    error: z.string().nullable().describe("Error traceback"),
    error_traceback: z.string().nullable(),
  }),
);

export const CacheStats = named(
  "CacheStats",
  z.object({
    hits: z.number().int(),
    misses: z.number().int(),
    high_watermark: z.number().int(),
    in_cache: z.number().int(),
    cleared: z.number().int(),
    cache_size: z.number().int().describe("The RAM budget in bytes (the cache has no VRAM tier)"),
    cache_bytes: z.number().int().describe("Bytes held in RAM now"),
    over_budget: z.number().int(),
    loaded_model_sizes: z.record(z.string(), z.number()),
  }),
);

export const Body_bulk_delete_models = named(
  "Body_bulk_delete_models",
  z.object({ keys: z.array(z.string()).describe("List of model keys to delete") }),
);

export const BulkDeleteModelsResponse = named(
  "BulkDeleteModelsResponse",
  z.object({
    deleted: z.array(z.string()).describe("List of successfully deleted model keys"),
    failed: z.array(JsonObject).describe("List of failed deletions with error messages"),
  }),
);

export const Body_restart_file = named(
  "Body_restart_file",
  z.object({ file_source: z.string().describe("The URL of the file to restart") }),
);

export const Body_update_model_image = named(
  "Body_update_model_image",
  z.object({ image: z.string().describe("The image file (PNG, JPEG or WebP)") }),
);

export const BulkReidentifyModelsRequest = named(
  "BulkReidentifyModelsRequest",
  z.object({ keys: z.array(z.string()).describe("List of model keys to reidentify") }),
  "Request body for bulk model reidentification.",
);

export const BulkReidentifyModelsResponse = named(
  "BulkReidentifyModelsResponse",
  z.object({
    succeeded: z.array(z.string()).describe("List of successfully reidentified model keys"),
    failed: z.array(JsonObject).describe("List of failed reidentifications with error messages"),
  }),
  "Response body for bulk model reidentification.",
);

const starterModelFields = {
  description: z.string(),
  source: z.string(),
  name: z.string(),
  base: BaseModelType,
  type: ModelType,
  format: ModelFormat.nullable(),
  variant: z.string().nullable(),
  is_installed: z.boolean(),
  previous_names: z.array(z.string()),
};

export const StarterModelWithoutDependencies = named("StarterModelWithoutDependencies", z.object(starterModelFields));

export const StarterModel = named(
  "StarterModel",
  z.object({ ...starterModelFields, dependencies: z.array(StarterModelWithoutDependencies).nullable() }),
);

export const StarterModelBundle = named(
  "StarterModelBundle",
  z.object({ name: z.string(), models: z.array(StarterModel) }),
);

export const StarterModelResponse = named(
  "StarterModelResponse",
  z.object({
    starter_models: z.array(StarterModel),
    starter_bundles: z.record(z.string(), StarterModelBundle),
  }),
);

export const HFTokenStatus = named("HFTokenStatus", z.enum(["valid", "invalid", "unknown"]));

export const Body_do_hf_login = named(
  "Body_do_hf_login",
  z.object({ token: z.string().min(1).describe("Hugging Face token to use for login") }),
);

export const OrphanedModelInfo = named(
  "OrphanedModelInfo",
  z.object({
    path: z.string().describe("Relative path to the orphaned directory from models root"),
    absolute_path: z.string().describe("Absolute path to the orphaned directory"),
    files: z.array(z.string()).describe("List of model files in this directory"),
    size_bytes: z.number().int().describe("Total size of all files in bytes"),
  }),
  "Information about an orphaned model directory.",
);

export const DeleteOrphanedModelsRequest = named(
  "DeleteOrphanedModelsRequest",
  z.object({ paths: z.array(z.string()).describe("List of relative paths to delete") }),
  "Request to delete specific orphaned model directories.",
);

export const DeleteOrphanedModelsResponse = named(
  "DeleteOrphanedModelsResponse",
  z.object({
    deleted: z.array(z.string()).describe("Paths that were successfully deleted"),
    errors: z.record(z.string(), z.string()).describe("Paths that had errors, with error messages"),
  }),
  "Response from deleting orphaned models.",
);
