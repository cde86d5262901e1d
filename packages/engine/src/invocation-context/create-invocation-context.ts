import type {
  AppConfigView,
  BaseModelType,
  BoardDTO,
  BoardsInterface,
  ConditioningFieldData,
  ConditioningInterface,
  ConfigInterface,
  EncodableImage,
  ImageDTO,
  ImageMode,
  ImageSize,
  ImagesInterface,
  InvocationContext,
  LoggerInterface,
  MetadataFieldValue,
  ModelsInterface,
  PipelineIntermediateState,
  RawImage,
  SaveImageOptions,
  StylePresetsInterface,
  Tensor,
  TensorsInterface,
  UtilInterface,
} from "@atelier/core";
import sharp, { type Sharp } from "sharp";
import type { BoardService } from "../boards/index.js";
import type { AtelierConfig } from "../config/index.js";
import type { EventBus } from "../events/index.js";
import type { ImageService, StorableImage } from "../images/index.js";
import type { Logger } from "../logging/index.js";
import type { ConditioningStore, TensorStore } from "../object-store/index.js";
import type { InvocationContextData } from "./invocation-context-data.js";
import { invocationEventBase } from "./invocation-event-base.js";
import { unavailableModels } from "./model-manager-unavailable.js";
import { ProgressReporter } from "./progress-reporter.js";
import { diffusionStepCallback } from "./step-callbacks.js";

/** The services a context reaches (the engine container from `createServices` has them all). */
export interface InvocationContextServices {
  readonly config: AtelierConfig;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly images: ImageService;
  readonly boards: BoardService;
  readonly tensors: TensorStore;
  readonly conditioning: ConditioningStore;
  /**
   * Builds `context.models` for one node (the model manager plugs in here); without it every models method rejects
   * with ModelManagerUnavailableError. Gets the node's util so that loads can report progress.
   */
  readonly modelsFor?: (data: InvocationContextData, util: UtilInterface) => ModelsInterface;
  /** The style preset store (`context.stylePresets`); without it the context has none. */
  readonly stylePresets?: StylePresetsInterface;
}

/** The engine's context: the node-facing InvocationContext plus what the session processor needs around a node. */
export interface EngineInvocationContext extends InvocationContext {
  /** What the context is bound to. */
  readonly data: InvocationContextData;
  /** Resolves once every progress event the node signalled has been emitted; await it before `invocation_complete`. */
  settle(): Promise<void>;
  /** True while no progress event is queued, so that settle() need not be awaited. */
  readonly settled: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRawImage(image: unknown): image is RawImage {
  return isRecord(image) && image.data instanceof Uint8Array && typeof image.mode === "string";
}

function toStorable(image: RawImage | EncodableImage): StorableImage {
  if (isRawImage(image) || image instanceof sharp) return image as StorableImage;
  // A structurally compatible pipeline (e.g. from another copy of sharp): it has the methods ImageFiles uses.
  return image as unknown as Sharp;
}

/** The metadata of a WithMetadata node, when it has one. */
function nodeMetadata(invocation: Readonly<Record<string, unknown>>): MetadataFieldValue | null {
  return isRecord(invocation.metadata) ? (invocation.metadata as MetadataFieldValue) : null;
}

/** The board of a WithBoard node, when it has one. */
function nodeBoardId(invocation: Readonly<Record<string, unknown>>): string | null {
  const board = invocation.board;
  return isRecord(board) && typeof board.board_id === "string" ? board.board_id : null;
}

/**
 * One node's InvocationContext. Built per node by the processor, so construction only stores references: the
 * logger child, the event payload base and the interface objects are made when a node first uses them.
 */
class NodeContext implements EngineInvocationContext {
  readonly data: InvocationContextData;
  readonly #services: InvocationContextServices;
  #logger: LoggerInterface | undefined;
  #progress: ProgressReporter | undefined;
  #util: UtilInterface | undefined;
  #images: ImagesInterface | undefined;
  #tensors: TensorsInterface | undefined;
  #conditioning: ConditioningInterface | undefined;
  #boards: BoardsInterface | undefined;
  #models: ModelsInterface | undefined;
  #config: ConfigInterface | undefined;

  constructor(services: InvocationContextServices, data: InvocationContextData) {
    this.#services = services;
    this.data = data;
  }

  get logger(): LoggerInterface {
    if (this.#logger === undefined) {
      const child = this.#services.logger.child({
        queue_item_id: this.data.queueItem.item_id,
        session_id: this.data.queueItem.session_id,
        node_id: this.data.sourceNodeId,
        node_type: this.data.invocation.type,
      });
      this.#logger = {
        debug: (message) => child.debug(message),
        info: (message) => child.info(message),
        warning: (message) => child.warning(message),
        error: (message) => child.error(message),
      };
    }
    return this.#logger;
  }

  get config(): ConfigInterface {
    const config = this.#services.config as unknown as AppConfigView;
    this.#config ??= { get: () => config };
    return this.#config;
  }

  get util(): UtilInterface {
    if (this.#util === undefined) {
      const { cancel } = this.data;
      const signalProgress = (
        message: string,
        percentage?: number | null,
        image?: RawImage | null,
        imageSize?: ImageSize | null,
      ) => this.#reporter().signal(message, percentage ?? null, image ?? null, imageSize ?? null);
      const reporter = { isCanceled: () => cancel.isCanceled(), signalProgress };
      this.#util = {
        isCanceled: () => cancel.isCanceled(),
        signal: cancel.signal,
        signalProgress,
        sdStepCallback: (state: PipelineIntermediateState, baseModel: BaseModelType) =>
          diffusionStepCallback(reporter, state, baseModel),
        fluxStepCallback: (state: PipelineIntermediateState) => diffusionStepCallback(reporter, state, "flux"),
      };
    }
    return this.#util;
  }

  get images(): ImagesInterface {
    if (this.#images === undefined) {
      const images = this.#services.images;
      const { invocation, queueItem } = this.data;
      this.#images = {
        save: async (image: RawImage | EncodableImage, options: SaveImageOptions = {}): Promise<ImageDTO> => {
          this.util.signalProgress("Saving image");
          return images.create(toStorable(image), {
            origin: "internal",
            category: options.imageCategory ?? "general",
            boardId: options.boardId ?? nodeBoardId(invocation),
            metadata: options.metadata ?? nodeMetadata(invocation),
            workflow: queueItem.workflow ?? null,
            graph: this.data.sourceGraph,
            sessionId: queueItem.session_id,
            nodeId: this.data.executionId ?? invocation.id,
            isIntermediate: invocation.is_intermediate === true,
          });
        },
        getImage: (imageName: string, mode?: ImageMode) => images.getImage(imageName, mode),
        getDto: (imageName: string) => images.getDto(imageName),
        getMetadata: (imageName: string) => images.getMetadata(imageName),
        getPath: (imageName: string, thumbnail?: boolean) => images.getPath(imageName, thumbnail ?? false),
      };
    }
    return this.#images;
  }

  get tensors(): TensorsInterface {
    const store = this.#services.tensors;
    this.#tensors ??= { save: (tensor: Tensor) => store.save(tensor), load: (name: string) => store.load(name) };
    return this.#tensors;
  }

  get conditioning(): ConditioningInterface {
    const store = this.#services.conditioning;
    this.#conditioning ??= {
      save: (data: ConditioningFieldData) => store.save(data),
      load: (name: string) => store.load(name),
    };
    return this.#conditioning;
  }

  get boards(): BoardsInterface {
    const boards = this.#services.boards;
    this.#boards ??= {
      create: (boardName: string): Promise<BoardDTO> => boards.create(boardName),
      getDto: (boardId: string) => boards.getDto(boardId),
      getAll: () => boards.getAll(),
      addImageToBoard: (boardId: string, imageName: string) => boards.addImageToBoard(boardId, imageName),
      getAllImageNamesForBoard: (boardId: string) => boards.getAllImageNamesForBoard(boardId),
    };
    return this.#boards;
  }

  get models(): ModelsInterface {
    this.#models ??= this.#services.modelsFor?.(this.data, this.util) ?? unavailableModels(this.data.invocation.type);
    return this.#models;
  }

  settle(): Promise<void> {
    return this.#progress?.settle() ?? Promise.resolve();
  }

  get stylePresets(): StylePresetsInterface | undefined {
    return this.#services.stylePresets;
  }

  get settled(): boolean {
    return this.#progress === undefined || !this.#progress.busy;
  }

  #reporter(): ProgressReporter {
    this.#progress ??= new ProgressReporter({
      events: this.#services.events,
      logger: this.#services.logger,
      base: () => invocationEventBase(this.data),
    });
    return this.#progress;
  }
}

/**
 * Builds the InvocationContext for one node run (InvokeAI's `build_invocation_context`): images, tensors,
 * conditioning, boards, models, logger, config and util, bound to the queue item, the source graph and the node.
 */
export function createInvocationContext(
  services: InvocationContextServices,
  data: InvocationContextData,
): EngineInvocationContext {
  return new NodeContext(services, data);
}
