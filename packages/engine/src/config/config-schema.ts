import { z } from "@atelier/core";

// Field names and defaults follow InvokeAI's `invokeai.yaml` so that users can carry their settings across.
// Every field has a default (or is optional) so that a bare `atelier serve` works without a file.

const MB = 1024 * 1024;

/** Log levels accepted in config (InvokeAI's names; mapped onto pino's levels by the logger). */
export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
/** Log line formats: human-readable variants and pino's JSON. */
export const LOG_FORMATS = ["plain", "color", "json", "syslog", "legacy"] as const;
/** Floating-point precision of model weights; `auto` picks per device. */
export const PRECISIONS = ["auto", "float16", "bfloat16", "float32"] as const;
/** Where image files go under `outputs/images` (InvokeAI's strategies). */
export const IMAGE_SUBFOLDER_STRATEGIES = ["flat", "date", "type", "hash"] as const;
/** Model hashing algorithms (InvokeAI's list, so that model hashes agree between the two systems). */
export const HASHING_ALGORITHMS = [
  "blake3_multi",
  "blake3_single",
  "random",
  "md5",
  "sha1",
  "sha224",
  "sha256",
  "sha384",
  "sha512",
  "sha3_224",
  "sha3_256",
  "sha3_384",
  "sha3_512",
  "shake_128",
  "shake_256",
] as const;
/** Database engines. */
export const DB_BACKENDS = ["sqlite", "postgres"] as const;
/** Blob storage for images, thumbnails, tensors and conditioning. */
export const BLOB_BACKENDS = ["fs", "s3"] as const;

const DEVICE_PATTERN = /^(auto|cpu|mps|cuda(:\d+)?|xpu(:\d+)?)$/;

const relativeOrAbsolutePath = (fallback: string, description: string) =>
  z.string().min(1, "must be a non-empty path").default(fallback).describe(description);

const nodeTypeList = z.array(z.string().min(1)).describe("Node type ids");

/** A token sent with downloads whose URL matches `url_regex`. */
export const RemoteApiTokenSchema = z.object({
  url_regex: z
    .string()
    .min(1)
    .refine((pattern) => {
      try {
        new RegExp(pattern);
        return true;
      } catch {
        return false;
      }
    }, "must be a valid regular expression"),
  token: z.string().min(1),
});

/**
 * The fields of `atelier.yaml`, one zod schema per key. Kept as a plain shape so that each key can be validated on
 * its own (to name the exact source of a bad value) and so that the default file can be written with descriptions.
 */
export const configShape = {
  // Web server
  host: z.string().min(1).default("127.0.0.1").describe("IP address to bind to; 0.0.0.0 serves the local network"),
  port: z.number().int().min(0).max(65535).default(9090).describe("Port to bind to; 0 lets the system choose"),
  allow_origins: z
    .array(z.string())
    .default(() => [])
    .describe("CORS: allowed origins"),
  allow_credentials: z.boolean().default(true).describe("CORS: allow credentials"),
  allow_methods: z
    .array(z.string())
    .default(() => ["*"])
    .describe("CORS: allowed methods"),
  allow_headers: z
    .array(z.string())
    .default(() => ["*"])
    .describe("CORS: allowed headers"),
  ssl_certfile: z.string().min(1).optional().describe("SSL certificate file for HTTPS"),
  ssl_keyfile: z.string().min(1).optional().describe("SSL key file for HTTPS"),
  base_url: z.string().min(1).optional().describe("Sub-path the app is served under behind a reverse proxy"),
  forwarded_allow_ips: z.string().default("127.0.0.1").describe("Proxies trusted for X-Forwarded-* headers"),
  http_compression_level: z.number().int().min(0).max(9).default(9).describe("gzip level of API responses, 0 = off"),
  upload_max_bytes: z
    .number()
    .int()
    .positive()
    .default(100 * MB)
    .describe("Largest accepted upload, in bytes"),

  // Paths (relative ones are resolved against the root folder)
  outputs_dir: relativeOrAbsolutePath("outputs", "Images, tensors and conditioning"),
  db_dir: relativeOrAbsolutePath("databases", "SQLite database folder (file atelier.db)"),
  models_dir: relativeOrAbsolutePath("models", "Installed models"),
  download_cache_dir: relativeOrAbsolutePath("models/.download_cache", "Temporary folder for model downloads"),
  legacy_conf_dir: relativeOrAbsolutePath("configs", "Checkpoint yaml configs of Stable Diffusion models"),
  custom_nodes_dir: relativeOrAbsolutePath("nodes", "Custom node packs"),
  style_presets_dir: relativeOrAbsolutePath("style_presets", "Style preset images"),
  workflow_thumbnails_dir: relativeOrAbsolutePath("workflow_thumbnails", "Workflow thumbnail images"),
  profiles_dir: relativeOrAbsolutePath("profiles", "Graph profiles"),

  // Logging
  log_handlers: z
    .array(z.string().regex(/^(console|file=.+)$/, 'must be "console" or "file=<path>"'))
    .min(1)
    .default(() => ["console"])
    .describe('Where log lines go: "console" and/or "file=<path>"'),
  log_format: z.enum(LOG_FORMATS).default("color").describe("Log line format"),
  log_level: z.enum(LOG_LEVELS).default("info").describe("Lowest level that is logged"),
  log_sql: z.boolean().default(false).describe("Log every SQL statement at debug level"),
  log_level_network: z.enum(LOG_LEVELS).default("warning").describe("Lowest level of HTTP request logs"),

  // Development
  dev_reload: z.boolean().default(false).describe("Restart the server when source files change"),
  profile_graphs: z.boolean().default(false).describe("Write a profile of every graph run to profiles_dir"),
  profile_prefix: z.string().optional().describe("File name prefix of graph profiles"),

  // Caches and memory
  max_cache_ram_gb: z.number().positive().optional().describe("RAM for the model cache, in GB; unset = automatic"),
  max_cache_vram_gb: z.number().min(0).optional().describe("VRAM for the model cache, in GB; unset = automatic"),
  device_working_mem_gb: z.number().min(0).default(3).describe("VRAM kept free for inference, in GB"),
  enable_partial_loading: z.boolean().default(true).describe("Load models partly onto the device when VRAM is short"),
  keep_ram_copy_of_weights: z.boolean().default(true).describe("Keep a RAM copy of weights for fast offloading"),
  model_cache_keep_alive_min: z
    .number()
    .min(0)
    .default(0)
    .describe("Minutes models stay cached after use; 0 = forever"),
  tensor_cache_bytes: z
    .number()
    .int()
    .min(0)
    .default(512 * MB)
    .describe("Memory budget of the tensor/conditioning LRU cache, in bytes"),
  image_cache_size: z.number().int().min(0).default(32).describe("Decoded images kept in memory (LRU), 0 = none"),
  node_cache_size: z.number().int().min(0).default(512).describe("Invocation cache entries; 0 disables the cache"),

  // Device
  device: z
    .string()
    .regex(DEVICE_PATTERN, "must be auto, cpu, mps, cuda, cuda:N, xpu or xpu:N")
    .default("auto")
    .describe("Device that runs models"),
  onnx_intra_op_threads: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("Threads onnxruntime uses inside one operator; 0 = one per physical core"),
  onnx_inter_op_threads: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("Threads onnxruntime runs independent operators on (parallel execution only); 0 = its default"),
  onnx_graph_optimization: z
    .enum(["disabled", "basic", "extended", "all"])
    .default("all")
    .describe("onnxruntime graph optimization level applied when a model is loaded"),
  precision: z.enum(PRECISIONS).default("auto").describe("Floating-point precision of model weights"),
  force_tiled_decode: z.boolean().default(false).describe("Always decode latents in tiles (saves VRAM)"),

  // Generation and queue
  pil_compress_level: z.number().int().min(0).max(9).default(1).describe("PNG compression level, 0-9"),
  image_subfolder_strategy: z
    .enum(IMAGE_SUBFOLDER_STRATEGIES)
    .default("flat")
    .describe("Subfolders of outputs/images: flat, date, type or hash"),
  max_queue_size: z.number().int().positive().default(10000).describe("Most pending items the queue holds"),
  max_concurrent_nodes: z.number().int().positive().default(1).describe("Nodes run at the same time"),
  resume_interrupted: z
    .boolean()
    .default(false)
    .describe("Resume items that were running when the process stopped (else they are canceled)"),
  clear_queue_on_startup: z.boolean().default(false).describe("Empty the queue at start-up"),
  max_queue_history: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Finished queue items kept at start-up; unset = keep all"),
  clean_objects_on_startup: z
    .boolean()
    .default(true)
    .describe("At start-up, delete tensors and conditioning no queue item refers to (older than an hour)"),
  allow_nodes: nodeTypeList.optional().describe("Only these node types may run; unset = all"),
  deny_nodes: nodeTypeList.optional().describe("These node types may not run"),

  // Models
  allow_unknown_models: z.boolean().default(true).describe("Install models that cannot be identified"),
  scan_models_on_startup: z.boolean().default(false).describe("Scan models_dir for new models at start-up"),
  allow_private_download_urls: z
    .boolean()
    .default(false)
    .describe("Allow model downloads from private or loopback addresses"),
  remote_api_tokens: z
    .array(RemoteApiTokenSchema)
    .optional()
    .describe("Tokens sent to download URLs that match url_regex"),
  hashing_algorithm: z.enum(HASHING_ALGORITHMS).default("blake3_single").describe("Model hashing algorithm"),

  // Storage
  db_backend: z.enum(DB_BACKENDS).default("sqlite").describe("Database engine: sqlite (embedded) or postgres"),
  db_url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional()
    .describe("PostgreSQL connection URL (db_backend: postgres)"),
  use_memory_db: z.boolean().default(false).describe("Keep the SQLite database in memory (lost on exit)"),
  blob_backend: z.enum(BLOB_BACKENDS).default("fs").describe("Blob storage: fs (outputs_dir) or s3"),
  s3_bucket: z.string().min(1).optional().describe("S3 bucket (blob_backend: s3)"),
  s3_endpoint: z.url().optional().describe("S3-compatible endpoint URL; unset = AWS"),
  s3_region: z.string().min(1).optional().describe("S3 region; unset = from the AWS environment"),
  s3_prefix: z.string().default("").describe("Key prefix inside the bucket"),
  s3_force_path_style: z.boolean().default(false).describe("Path-style S3 URLs (MinIO and other S3-compatibles)"),
};

/** Every config key. */
export type ConfigKey = keyof typeof configShape;
/** All config keys, in file order. */
export const CONFIG_KEYS = Object.keys(configShape) as ConfigKey[];

/** The whole config, with the checks that involve more than one key. */
export const AtelierConfigSchema = z.object(configShape).superRefine((config, ctx) => {
  if (config.db_backend === "postgres" && config.db_url === undefined) {
    ctx.addIssue({ code: "custom", path: ["db_url"], message: "is required when db_backend is postgres" });
  }
  if (config.blob_backend === "s3" && config.s3_bucket === undefined) {
    ctx.addIssue({ code: "custom", path: ["s3_bucket"], message: "is required when blob_backend is s3" });
  }
  if (config.allow_nodes !== undefined && config.deny_nodes !== undefined) {
    const both = config.allow_nodes.filter((type) => config.deny_nodes?.includes(type));
    if (both.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["deny_nodes"],
        message: `lists node types that allow_nodes also lists: ${both.join(", ")}`,
      });
    }
  }
});

/** Config values after defaults are applied. */
export type AtelierConfigValues = z.output<typeof AtelierConfigSchema>;
/** Config values as written in a file, the environment or overrides (every key optional). */
export type AtelierConfigInput = z.input<typeof AtelierConfigSchema>;
