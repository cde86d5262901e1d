import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { MODEL_REPO_VARIANTS, type ModelRepoVariant, type ModelSourceType } from "@atelier/core";
import { InvalidModelSourceError } from "../model-errors.js";

/** A file or folder on this machine. */
export interface LocalModelSource {
  readonly type: "local";
  readonly path: string;
  /** Register it where it is instead of moving it into `models/<key>/`. */
  readonly inplace: boolean;
}

/** A Hugging Face repo (or some of its subfolders), in one file variant. */
export interface HFModelSource {
  readonly type: "hf";
  readonly repo_id: string;
  readonly variant: ModelRepoVariant | null;
  /** One subfolder, or several joined with `+`. */
  readonly subfolder: string | null;
  readonly access_token?: string | null;
}

/** An http(s) URL of one file. */
export interface URLModelSource {
  readonly type: "url";
  readonly url: string;
  readonly access_token?: string | null;
}

/** Where a model is installed from (InvokeAI's ModelSource union, discriminated on `type`). */
export type ModelSource = LocalModelSource | HFModelSource | URLModelSource;

const HF_REPO_ID = /^([^/:\s]+\/[^/:\s]+)(?::([a-zA-Z0-9._-]*))?(?::\/?([^:]+))?$/;
const URL_SOURCE = /^https?:\/\/[^/]+/i;

/** Parses a source string as InvokeAI does: an existing path, then `owner/repo[:variant[:subfolder]]`, then a URL. */
export function parseModelSource(
  source: string,
  options: { inplace?: boolean; accessToken?: string | null; cwd?: string } = {},
): ModelSource {
  const text = source.trim();
  if (text === "") throw new InvalidModelSourceError(source, "it is empty");
  const path = resolve(options.cwd ?? process.cwd(), text);
  if (existsSync(path)) return { type: "local", path, inplace: options.inplace ?? false };
  if (URL_SOURCE.test(text)) {
    try {
      new URL(text);
    } catch {
      throw new InvalidModelSourceError(source, "it is not a valid URL");
    }
    return { type: "url", url: text, access_token: options.accessToken ?? null };
  }
  const hf = HF_REPO_ID.exec(text);
  if (hf !== null) {
    const variant = hf[2] === undefined || hf[2] === "" ? null : hf[2];
    if (variant !== null && !(MODEL_REPO_VARIANTS as readonly string[]).includes(variant)) {
      throw new InvalidModelSourceError(
        source,
        `unknown repo variant ${JSON.stringify(variant)} (one of ${MODEL_REPO_VARIANTS.filter((v) => v).join(", ")})`,
      );
    }
    return {
      type: "hf",
      repo_id: hf[1],
      variant: variant as ModelRepoVariant | null,
      subfolder: hf[3] ?? null,
      access_token: options.accessToken ?? null,
    };
  }
  if (/^[a-z]+:\/\//i.test(text))
    throw new InvalidModelSourceError(source, "only http and https URLs can be installed");
  throw new InvalidModelSourceError(
    source,
    "it is not an existing path, a Hugging Face repo id (owner/repo[:variant[:subfolder]]) or an http(s) URL",
  );
}

/** The source as a string (the form users type and records keep). */
export function modelSourceString(source: ModelSource): string {
  switch (source.type) {
    case "local":
      return source.path;
    case "url":
      return source.url;
    case "hf": {
      let text = source.repo_id;
      if (source.variant !== null || source.subfolder !== null) text += `:${source.variant ?? ""}`;
      if (source.subfolder !== null) text += `:${source.subfolder}`;
      return text;
    }
  }
}

/** The record's `source_type` for a source. */
export function modelSourceType(source: ModelSource): ModelSourceType {
  return source.type === "local" ? "path" : source.type === "url" ? "url" : "hf_repo_id";
}

/** The source as events and the API show it: tokens are never shown. */
export function modelSourceJson(source: ModelSource): { type: string; [key: string]: unknown } {
  if (source.type === "local") return { ...source };
  const { access_token: _token, ...rest } = source;
  return { ...rest };
}

/** The subfolders of an HF source (`a+b` names two). */
export function hfSubfolders(source: HFModelSource): string[] {
  return source.subfolder === null
    ? []
    : source.subfolder
        .split("+")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}
