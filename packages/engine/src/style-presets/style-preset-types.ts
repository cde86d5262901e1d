import { z } from "@atelier/core";
import type { StylePresetRecord } from "@atelier/core";
import { InvalidStylePresetError } from "./style-preset-errors.js";

/** InvokeAI's `PresetType`: user presets are editable; default presets ship with the app and are read-only. */
export type PresetType = "user" | "default";

/** InvokeAI's `PresetData`: the positive and negative templates, each with an optional `{prompt}` placeholder. */
export interface PresetData {
  positive_prompt: string;
  negative_prompt: string;
}

/** InvokeAI's `StylePresetRecordWithImage`: a stored preset plus the URL of its image (null when it has none). */
export interface StylePresetRecordWithImage extends StylePresetRecord {
  id: string;
  name: string;
  preset_data: PresetData;
  type: PresetType;
  user_id: string;
  is_public: boolean;
  image: string | null;
}

/** What creating a preset takes (InvokeAI's `StylePresetWithoutId`). */
export interface StylePresetInput {
  name: string;
  preset_data: PresetData;
  type?: PresetType;
  is_public?: boolean;
  user_id?: string;
}

/** What updating a preset takes (InvokeAI's `StylePresetChanges`): absent members stay as they are. */
export interface StylePresetChanges {
  name?: string;
  preset_data?: PresetData;
  type?: PresetType;
  is_public?: boolean;
}

const presetData = z.strictObject({
  positive_prompt: z.string(),
  negative_prompt: z.string(),
});
const presetType = z.enum(["user", "default"]);
const name = z.string().trim().min(1, "must not be empty");

const inputSchema = z.object({
  name,
  preset_data: presetData,
  type: presetType.optional(),
  is_public: z.boolean().optional(),
  user_id: z.string().min(1).optional(),
});

const changesSchema = z.object({
  name: name.optional(),
  preset_data: presetData.optional(),
  type: presetType.optional(),
  is_public: z.boolean().optional(),
});

// The `data` form field of the create and update routes (InvokeAI's `ParsedStylePresetData`): flat prompts.
const formDataSchema = z.object({
  name,
  positive_prompt: z.string(),
  negative_prompt: z.string(),
  type: presetType.default("user"),
});

function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== "").join(".");
  throw new InvalidStylePresetError(path, issue.message, { issues: result.error.issues.length });
}

/** Validates a preset to create: non-empty name, preset_data with string positive_prompt and negative_prompt. */
export function parseStylePresetInput(value: unknown): StylePresetInput {
  return parseWith(inputSchema, value, "");
}

/** Validates preset changes: the same rules as `parseStylePresetInput`, every member optional. */
export function parseStylePresetChanges(value: unknown): StylePresetChanges {
  return parseWith(changesSchema, value, "");
}

/**
 * Parses the `data` form field of `POST /style_presets/` and `PATCH /style_presets/i/{id}`: a JSON string
 * `{name, positive_prompt, negative_prompt, type?}` (InvokeAI's ParsedStylePresetData), as a preset input.
 */
export function parseStylePresetFormData(json: string): StylePresetInput & { type: PresetType } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InvalidStylePresetError(
      "data",
      `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = parseWith(formDataSchema, value, "data");
  return {
    name: parsed.name,
    preset_data: { positive_prompt: parsed.positive_prompt, negative_prompt: parsed.negative_prompt },
    type: parsed.type,
  };
}
