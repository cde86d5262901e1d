import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { ModelSourceType } from "@atelier/core";
import { defaultSettingsFor, parseModelConfig, type ModelConfig } from "../configs/model-config.js";
import { hashModel, type HashingAlgorithm } from "../hash/model-hash.js";
import { identifyModel, type IdentifyOptions } from "./identify-model.js";

/** Options of `probeModel`. */
export interface ProbeOptions extends IdentifyOptions {
  /** Default `blake3_single`. */
  hashingAlgorithm?: HashingAlgorithm;
  /** The install source as the user gave it; default the path. */
  source?: string;
  /** Default `path`. */
  sourceType?: ModelSourceType;
  /** The hub's answer about the repo (JSON text). */
  sourceApiResponse?: string | null;
  /** Stops hashing. */
  signal?: AbortSignal;
  /** Bytes hashed so far. */
  onHashProgress?: (bytes: number) => void;
}

/**
 * Builds a model's whole config (InvokeAI's `_probe`): identification (headers and configs only), then the common
 * fields: a new key, the hash (which reads every weight byte once), size, name (override or file stem), source.
 */
export async function probeModel(path: string, options: ProbeOptions = {}): Promise<ModelConfig> {
  const absolute = resolve(path);
  const identification = await identifyModel(absolute, options);
  const overrides = options.overrides ?? {};
  const hash =
    overrides.hash ??
    (await hashModel(absolute, {
      algorithm: options.hashingAlgorithm,
      signal: options.signal,
      onProgress: options.onHashProgress,
    }));
  const { fields } = identification;
  const name = overrides.name ?? identification.stem;
  const config: Record<string, unknown> = {
    key: overrides.key ?? randomUUID(),
    hash,
    path: absolute,
    file_size: identification.sizeBytes,
    name,
    description: overrides.description ?? null,
    source: overrides.source ?? options.source ?? absolute,
    source_type: overrides.source_type ?? options.sourceType ?? "path",
    source_api_response: overrides.source_api_response ?? options.sourceApiResponse ?? null,
    cover_image: overrides.cover_image ?? null,
    ...fields,
    trigger_phrases: overrides.trigger_phrases ?? null,
    default_settings: overrides.default_settings ?? defaultSettingsFor(fields.type, fields.base, name, fields.format),
  };
  if (identification.unknownReason !== null) config.unknown_reason = identification.unknownReason;
  if (overrides.source_url !== undefined) config.source_url = overrides.source_url;
  if (overrides.cpu_only !== undefined) config.cpu_only = overrides.cpu_only;
  return parseModelConfig(config, `identified at ${absolute}`);
}
