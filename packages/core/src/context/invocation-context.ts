import type { ImageMode, RawImage } from "../raw-image.js";
import type { LoRAFieldValue, MetadataFieldValue, ModelIdentifierFieldValue } from "../sdk/field-types.js";
import type {
  AnyModelVariantType,
  BaseModelType,
  ModelFormat,
  ModelRepoVariant,
  ModelSourceType,
  ModelType,
  SchedulerPredictionType,
  SubModelType,
} from "../sdk/model-taxonomy.js";
import type { Tensor } from "../tensor.js";
import type { BoardDTO } from "./board-dto.js";
import type { ConditioningFieldData } from "./conditioning-data.js";
import type { ImageCategory, ImageDTO } from "./image-dto.js";

// The InvocationContext a node's `invoke` receives: the only way a node reaches application services. Core holds
// the interfaces; the engine implements them (fresh per node, bound to the queue item and node being run).

/**
 * An image an encoder can turn into pixels: structurally a sharp instance (`raw()`, `toBuffer()`), so nodes may
 * hand over a sharp pipeline without @atelier/core depending on sharp.
 */
export interface EncodableImage {
  raw(): unknown;
  toBuffer(): Promise<Uint8Array>;
}

/** Options of `images.save`. */
export interface SaveImageOptions {
  /** Board to add the image to; default: the node's `board` input (WithBoard), else none. */
  readonly boardId?: string | null;
  /** Default `general`. */
  readonly imageCategory?: ImageCategory;
  /** Metadata to embed; default: the node's `metadata` input (WithMetadata), else none. */
  readonly metadata?: MetadataFieldValue | null;
}

/** Images (InvokeAI's ImagesInterface). */
export interface ImagesInterface {
  /** Stores an image (PNG with metadata/workflow/graph chunks, record, thumbnail) and returns its DTO. */
  save(image: RawImage | EncodableImage, options?: SaveImageOptions): Promise<ImageDTO>;
  /** Loads an image's pixels (a copy), converted to `mode` when given. */
  getImage(imageName: string, mode?: ImageMode): Promise<RawImage>;
  /** The image's record. */
  getDto(imageName: string): Promise<ImageDTO>;
  /** The metadata stored with the image, or null. */
  getMetadata(imageName: string): Promise<MetadataFieldValue | null>;
  /** Where the image (or its thumbnail) is stored. */
  getPath(imageName: string, thumbnail?: boolean): Promise<string>;
}

/** Tensors, passed between nodes by name (InvokeAI's TensorsInterface). */
export interface TensorsInterface {
  /** Stores a tensor; returns its name. */
  save(tensor: Tensor): Promise<string>;
  /** Loads a copy of a stored tensor. */
  load(name: string): Promise<Tensor>;
}

/** Conditioning data, passed between nodes by name (InvokeAI's ConditioningInterface). */
export interface ConditioningInterface {
  /** Stores conditioning data; returns its name. */
  save(data: ConditioningFieldData): Promise<string>;
  /** Loads a copy of stored conditioning data. */
  load(name: string): Promise<ConditioningFieldData>;
}

/**
 * A model's config record: InvokeAI's AnyModelConfig as JSON. The common fields are typed; fields that only some
 * kinds have (variant, prediction_type, repo_variant, trigger_phrases, default_settings, submodels, config_path…)
 * are optional, and the index signature keeps records written by newer versions readable.
 */
export interface ModelConfigRecord {
  /** Unique key (a uuid unless given at install). */
  readonly key: string;
  /** `blake3:<hex>` (or `<algorithm>:<hex>`) of the file, or of a folder's weight files. */
  readonly hash: string;
  /** The file or folder; relative to `models_dir` when it lies inside it. */
  readonly path: string;
  /** Bytes on disk (a folder: every file in it). */
  readonly file_size: number;
  readonly name: string;
  readonly description: string | null;
  /** The source as given at install: a path, URL or `owner/repo[:variant[:subfolder]]`. */
  readonly source: string;
  readonly source_type: ModelSourceType;
  /** The hub's answer about the repo (JSON text), when installed from Hugging Face. */
  readonly source_api_response: string | null;
  readonly cover_image: string | null;
  readonly base: BaseModelType;
  readonly type: ModelType;
  readonly format: ModelFormat;
  readonly variant?: AnyModelVariantType | null;
  readonly prediction_type?: SchedulerPredictionType | null;
  readonly repo_variant?: ModelRepoVariant | null;
  readonly trigger_phrases?: readonly string[] | null;
  readonly default_settings?: Readonly<Record<string, unknown>> | null;
  /** Why identification gave up, for models installed as `unknown`. */
  readonly unknown_reason?: string | null;
  readonly [field: string]: unknown;
}

/** A model held locked in the model cache until disposed (`await using locked = await loaded.lock()`). */
export interface LockedModel<M = unknown> extends Disposable, AsyncDisposable {
  readonly model: M;
  /** Unlocks (idempotent); what `using`/`await using` call at the end of the block. */
  release(): void;
}

/** A model loaded into the model cache. It may be evicted while unlocked: lock it (or `use` it) while working. */
export interface LoadedModelWithoutConfig<M = unknown> {
  /** The model object, without locking it (InvokeAI's `.model`). */
  readonly model: M;
  /** Runs `fn` with the model locked in the cache; the lock is released even when `fn` throws. */
  use<T>(fn: (model: M) => Promise<T> | T): Promise<T>;
  /** Locks the model (reloading it if it was evicted meanwhile); release with `using` or `release()`. */
  lock(): Promise<LockedModel<M>>;
}

/** A model loaded from the model records, with its config. */
export interface LoadedModel<M = unknown> extends LoadedModelWithoutConfig<M> {
  readonly config: ModelConfigRecord;
  readonly submodelType: SubModelType | null;
}

/** A function that loads a model file or folder. */
export type ModelLoader = (path: string) => Promise<unknown> | unknown;

/** Filters of `models.searchByAttrs` (exact name match). */
export interface ModelSearchAttrs {
  readonly name?: string;
  readonly base?: BaseModelType;
  readonly type?: ModelType;
  readonly format?: ModelFormat;
}

/** The part of a pipeline LoRAs patch; it selects which of a LoRA's keys apply (`lora_unet_*`, `lora_te1_*`, …). */
export type LoraPatchTarget = "unet" | "text_encoder" | "text_encoder_2" | "transformer" | "t5_encoder";

/** Models (InvokeAI's ModelsInterface). A model is addressed by key or by a ModelIdentifierField value. */
export interface ModelsInterface {
  /** Whether a model with this key is installed. */
  exists(identifier: string | ModelIdentifierFieldValue): Promise<boolean>;
  /** The model's config record. */
  getConfig(identifier: string | ModelIdentifierFieldValue): Promise<ModelConfigRecord>;
  /** Loads a model (or one of its submodels; default: the identifier's `submodel_type`). */
  load(identifier: string | ModelIdentifierFieldValue, submodelType?: SubModelType | null): Promise<LoadedModel>;
  /** Loads the one model with this name, base and type. */
  loadByAttrs(
    name: string,
    base: BaseModelType,
    type: ModelType,
    submodelType?: SubModelType | null,
  ): Promise<LoadedModel>;
  /** Loads a model file or folder that is not in the model records. */
  loadLocalModel(path: string, loader?: ModelLoader): Promise<LoadedModelWithoutConfig>;
  /** Downloads (once) and loads a model from a URL or Hugging Face repo id. */
  loadRemoteModel(source: string, loader?: ModelLoader): Promise<LoadedModelWithoutConfig>;
  /** Downloads (once) a URL or Hugging Face repo id into the download cache; returns the local path. */
  downloadAndCacheModel(source: string): Promise<string>;
  /** Installed models matching every given attribute. */
  searchByAttrs(attrs: ModelSearchAttrs): Promise<ModelConfigRecord[]>;
  /** Installed models at this path. */
  searchByPath(path: string): Promise<ModelConfigRecord[]>;
  /** The absolute path of a model (relative record paths resolve against `models_dir`). */
  getAbsolutePath(configOrPath: ModelConfigRecord | string): string;
  /**
   * Atelier extension (InvokeAI patches LoRAs inside its nodes): loads a denoiser or text encoder with `loras`
   * merged into its weights, cached under its own key so that the base model stays as it was. Optional: an
   * implementation without it cannot apply LoRAs.
   */
  loadWithLoras?(
    identifier: string | ModelIdentifierFieldValue,
    loras: readonly LoRAFieldValue[],
    target: LoraPatchTarget,
  ): Promise<LoadedModel>;
}

/** The node's logger (messages carry the queue item and node). */
export interface LoggerInterface {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

/** A read-only view of the application config. */
export type AppConfigView = { readonly [field: string]: unknown };

/** The application config (InvokeAI's ConfigInterface). */
export interface ConfigInterface {
  /** The config; treat it as read-only. */
  get(): AppConfigView;
}

/** A denoising step, as step callbacks receive it (InvokeAI's PipelineIntermediateState). */
export interface PipelineIntermediateState {
  readonly step: number;
  /** Solver order: 2 for second-order schedulers, which call back twice per step. */
  readonly order: number;
  readonly totalSteps: number;
  readonly timestep: number;
  readonly latents: Tensor;
  readonly predictedOriginal?: Tensor;
}

/** A width and height in pixels. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Cancellation and progress (InvokeAI's UtilInterface). */
export interface UtilInterface {
  /** Whether the queue item was canceled. */
  isCanceled(): boolean;
  /** Aborted when the queue item is canceled: pass it to long-running work. */
  readonly signal: AbortSignal;
  /** Emits `invocation_progress` (percentage 0..1, omitted when unknown; preview shown at `imageSize`). */
  signalProgress(
    message: string,
    percentage?: number | null,
    image?: RawImage | null,
    imageSize?: ImageSize | null,
  ): void;
  /** Progress from a diffusion step of an SD-family model; throws CanceledError when canceled. */
  sdStepCallback(state: PipelineIntermediateState, baseModel: BaseModelType): void;
  /** Progress from a FLUX diffusion step; throws CanceledError when canceled. */
  fluxStepCallback(state: PipelineIntermediateState): void;
}

/** Boards (InvokeAI's BoardsInterface). */
export interface BoardsInterface {
  /** Creates a board. */
  create(boardName: string): Promise<BoardDTO>;
  /** A board's DTO. */
  getDto(boardId: string): Promise<BoardDTO>;
  /** Every board, newest first. */
  getAll(): Promise<BoardDTO[]>;
  /** Moves an image onto a board (an image is on at most one board). */
  addImageToBoard(boardId: string, imageName: string): Promise<void>;
  /** Names of the images on a board. */
  getAllImageNamesForBoard(boardId: string): Promise<string[]>;
}

/** The templates a style preset holds (InvokeAI's `PresetData`). */
export interface StylePresetData {
  readonly positive_prompt: string;
  readonly negative_prompt: string;
}

/** A stored style preset, as InvokeAI's style preset records return it. */
export interface StylePresetRecord {
  readonly id: string;
  readonly name: string;
  readonly preset_data: StylePresetData;
}

/** Style presets by id (InvokeAI's StylePresetsInterface); an engine that stores presets puts it on the context. */
export interface StylePresetsInterface {
  /** The preset with this id; throws (or returns null) when there is none. */
  get(stylePresetId: string): Promise<StylePresetRecord | null>;
}

/** Everything a node may reach while it runs. */
export interface InvocationContext {
  readonly images: ImagesInterface;
  readonly tensors: TensorsInterface;
  readonly conditioning: ConditioningInterface;
  readonly models: ModelsInterface;
  readonly logger: LoggerInterface;
  readonly config: ConfigInterface;
  readonly util: UtilInterface;
  readonly boards: BoardsInterface;
  /** Style presets (`context.style_presets`); absent where the engine stores none. */
  readonly stylePresets?: StylePresetsInterface;
}
