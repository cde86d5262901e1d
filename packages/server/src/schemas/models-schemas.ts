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
    cache_size: z.number(),
    cache_bytes: z.number(),
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
