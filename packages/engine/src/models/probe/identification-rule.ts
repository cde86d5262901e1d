import type {
  AnyModelVariantType,
  BaseModelType,
  ModelFormat,
  ModelRepoVariant,
  ModelType,
  SchedulerPredictionType,
  SubModelType,
} from "@atelier/core";
import type { ModelOnDisk, StateDictKeys, TensorInfo } from "./model-on-disk.js";

/** A part of a pipeline folder usable on its own (InvokeAI's SubmodelDefinition). */
export interface SubmodelDefinition {
  /** The part's folder, relative to the model's folder (so that it survives the move into models_dir). */
  path_or_prefix: string;
  model_type: ModelType;
  variant?: AnyModelVariantType | null;
}

/** What a rule learned about a model: its kind and the fields of that kind. */
export interface IdentifiedKind {
  type: ModelType;
  format: ModelFormat;
  base: BaseModelType;
  variant?: AnyModelVariantType | null;
  prediction_type?: SchedulerPredictionType | null;
  repo_variant?: ModelRepoVariant | null;
  config_path?: string | null;
  upcast_attention?: boolean | null;
  /** Parts of a pipeline folder by SubModelType (SD3, FLUX.2 diffusers). */
  submodels?: Partial<Record<SubModelType, SubmodelDefinition>> | null;
}

/**
 * A rule's verdict (InvokeAI's three outcomes of `from_model_on_disk`): a match, not this kind (`no_match`), or
 * this kind but broken (`invalid`, which fails the install with its reason).
 */
export type RuleOutcome =
  | { readonly kind: "match"; readonly fields: IdentifiedKind }
  | { readonly kind: "no_match"; readonly reason: string }
  | { readonly kind: "invalid"; readonly reason: string };

/** One way of recognising a model kind. */
export interface IdentificationRule {
  /** For logs and reasons, e.g. "main checkpoint". */
  readonly name: string;
  /** Whether the rule looks at single files or at folders. */
  readonly target: "file" | "folder";
  identify(model: ModelOnDisk): Promise<RuleOutcome>;
}

/** A match. */
export const match = (fields: IdentifiedKind): RuleOutcome => ({ kind: "match", fields });
/** Not this kind. */
export const noMatch = (reason: string): RuleOutcome => ({ kind: "no_match", reason });
/** This kind, but broken. */
export const invalid = (reason: string): RuleOutcome => ({ kind: "invalid", reason });

/** Read-only helpers over a state dict's tensor names and shapes. */
export class KeyView {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly #keys: readonly string[];

  constructor(keys: StateDictKeys) {
    this.tensors = keys.tensors;
    this.metadata = keys.metadata;
    this.#keys = [...keys.tensors.keys()];
  }

  get size(): number {
    return this.#keys.length;
  }

  get keys(): readonly string[] {
    return this.#keys;
  }

  has(key: string): boolean {
    return this.tensors.has(key);
  }

  /** The shape of a tensor, or undefined. */
  shape(key: string): readonly number[] | undefined {
    return this.tensors.get(key)?.shape;
  }

  /** The first tensor (of `keys`) that exists. */
  firstOf(...keys: string[]): string | undefined {
    return keys.find((k) => this.tensors.has(k));
  }

  anyStartsWith(...prefixes: string[]): boolean {
    return this.#keys.some((k) => prefixes.some((p) => k.startsWith(p)));
  }

  anyEndsWith(...suffixes: string[]): boolean {
    return this.#keys.some((k) => suffixes.some((s) => k.endsWith(s)));
  }

  anyIncludes(...parts: string[]): boolean {
    return this.#keys.some((k) => parts.some((p) => k.includes(p)));
  }

  /** The first key matching `pattern`. */
  find(pattern: RegExp): string | undefined {
    return this.#keys.find((k) => pattern.test(k));
  }

  /** A few key names, to explain a failed identification. */
  sample(count = 3): string {
    return this.#keys.slice(0, count).join(", ");
  }
}

/** Reads a JSON object field as a string. */
export function stringField(json: unknown, field: string): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const value = (json as Record<string, unknown>)[field];
  return typeof value === "string" ? value : undefined;
}

/** Reads a JSON object field as a number. */
export function numberField(json: unknown, field: string): number | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const value = (json as Record<string, unknown>)[field];
  return typeof value === "number" ? value : undefined;
}

/** The `_class_name` of a diffusers config, or the first of a transformers config's `architectures`. */
export function configClassName(json: unknown): string | undefined {
  const name = stringField(json, "_class_name");
  if (name !== undefined) return name;
  if (typeof json !== "object" || json === null) return undefined;
  const architectures = (json as Record<string, unknown>).architectures;
  return Array.isArray(architectures) && typeof architectures[0] === "string" ? architectures[0] : undefined;
}
