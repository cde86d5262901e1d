// Tiny nodes that exercise every part of the InvocationContext, run the way the session processor runs nodes.
import {
  defineInvocation,
  defineOutput,
  ImageField,
  ImageOutput,
  InputField,
  OutputField,
  runInvocation,
  WithBoard,
  WithMetadata,
  z,
  type AnyInvocationDefinition,
  type BaseModelType,
  type ConditioningFieldData,
  type InvocationOutputObject,
  type RawImage,
} from "@atelier/core";
import type { EngineInvocationContext, InvocationContextData, Services } from "@atelier/engine";

/** A free-form report of what a node saw, as JSON text (keeps the test nodes' outputs simple). */
export const ReportOutput = defineOutput({
  type: "test_report_output",
  fields: { report: OutputField(z.string(), { description: "JSON of what the node observed" }) },
});

function report(value: unknown): { report: string } {
  return { report: JSON.stringify(value) };
}

/** The queue item every test context belongs to. */
export const QUEUE_ITEM = {
  item_id: 7,
  queue_id: "default",
  batch_id: "batch-1",
  session_id: "session-1",
  origin: "tests",
  destination: "gallery",
  workflow: {
    name: "Test workflow ✨",
    meta: { version: "3.0.0", category: "user" },
    nodes: [{ id: "make", type: "invocation", data: { id: "make", type: "test_make_image", inputs: {} } }],
    edges: [],
  },
} as const;

/** The source graph every test context belongs to. */
export const SOURCE_GRAPH = {
  id: "graph-1",
  nodes: { make: { id: "make", type: "test_make_image", width: 8, height: 8 } },
  edges: [],
};

/** A horizontal gradient of the given size. */
export function rampImage(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data.set([Math.round((x / Math.max(width - 1, 1)) * 255), (y * 3) & 255, 90], (y * width + x) * 3);
  }
  return { width, height, mode: "RGB", data };
}

export const MakeImage = defineInvocation({
  type: "test_make_image",
  version: "1.0.0",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    width: InputField(z.number().int().min(1), { default: 64 }),
    height: InputField(z.number().int().min(1), { default: 64 }),
    category: InputField(z.enum(["general", "mask", "control", "user", "other"]), { default: "general" }),
    explicit_board_id: InputField(z.string().nullable(), { default: null }),
    explicit_metadata: InputField(z.record(z.string(), z.unknown()).nullable(), { default: null }),
  },
  output: ImageOutput,
  async invoke(context) {
    const dto = await context.images.save(rampImage(this.width, this.height), {
      imageCategory: this.category,
      ...(this.explicit_board_id === null ? {} : { boardId: this.explicit_board_id }),
      ...(this.explicit_metadata === null ? {} : { metadata: this.explicit_metadata }),
    });
    return ImageOutput.build(dto);
  },
});

export const InspectImage = defineInvocation({
  type: "test_inspect_image",
  version: "1.0.0",
  inputs: {
    image: InputField(ImageField),
    mode: InputField(z.enum(["L", "LA", "RGB", "RGBA"]).nullable(), { default: null }),
  },
  output: ReportOutput,
  async invoke(context) {
    const name = this.image.image_name;
    const pixels = await context.images.getImage(name, this.mode ?? undefined);
    pixels.data.fill(0); // a copy: changing it must not change what the next node reads
    return report({
      width: pixels.width,
      height: pixels.height,
      mode: pixels.mode,
      dto: await context.images.getDto(name),
      metadata: await context.images.getMetadata(name),
      path: await context.images.getPath(name),
      thumbnail: await context.images.getPath(name, true),
    });
  },
});

export const TensorRoundTrip = defineInvocation({
  type: "test_tensor_round_trip",
  version: "1.0.0",
  inputs: { values: InputField(z.array(z.number()), { default: [1.5, -2, 3.25, 0] }) },
  output: ReportOutput,
  async invoke(context) {
    const name = await context.tensors.save({
      dtype: "float32",
      shape: [2, this.values.length / 2],
      data: Float32Array.from(this.values),
    });
    const loaded = await context.tensors.load(name);
    (loaded.data as Float32Array)[0] = 999; // a copy
    const conditioning: ConditioningFieldData = {
      conditionings: [
        {
          kind: "sdxl",
          embeds: { dtype: "float32", shape: [1, 2], data: Float32Array.from([0.5, 0.25]) },
          pooled_embeds: { dtype: "float32", shape: [1, 1], data: Float32Array.from([7]) },
          add_time_ids: { dtype: "float32", shape: [1, 6], data: Float32Array.from([1024, 1024, 0, 0, 1024, 1024]) },
        },
      ],
    };
    const conditioningName = await context.conditioning.save(conditioning);
    return report({ tensor: name, conditioning: conditioningName, shape: loaded.shape });
  },
});

export const Progress = defineInvocation({
  type: "test_progress",
  version: "1.0.0",
  inputs: {},
  output: ReportOutput,
  async invoke(context) {
    context.util.signalProgress("Starting");
    context.util.signalProgress("Halfway", 0.5, rampImage(40, 20), { width: 400, height: 200 });
    context.util.signalProgress("Preview", null, rampImage(10, 6));
    return report({ canceled: context.util.isCanceled() });
  },
});

export const Denoise = defineInvocation({
  type: "test_denoise",
  version: "1.0.0",
  inputs: {
    base: InputField(z.string(), { default: "sd-1" }),
    channel_values: InputField(z.array(z.number())),
    height: InputField(z.number().int(), { default: 2 }),
    width: InputField(z.number().int(), { default: 3 }),
    steps: InputField(z.number().int(), { default: 3 }),
    order: InputField(z.number().int(), { default: 1 }),
    flux: InputField(z.boolean(), { default: false }),
    cancel_at_step: InputField(z.number().int().nullable(), { default: null }),
  },
  output: ReportOutput,
  async invoke(context) {
    const channels = this.channel_values.length;
    const plane = this.height * this.width;
    const data = new Float32Array(channels * plane);
    this.channel_values.forEach((v, c) => data.fill(v, c * plane, (c + 1) * plane));
    const shape = this.flux ? [channels, this.height, this.width] : [1, channels, this.height, this.width];
    for (let step = 1; step <= this.steps; step++) {
      if (this.cancel_at_step === step)
        (context as EngineInvocationContext & { cancelForTest(): void }).cancelForTest();
      const state = {
        step,
        order: this.order,
        totalSteps: this.steps,
        timestep: 1000 - step,
        latents: { dtype: "float32" as const, shape, data },
      };
      if (this.flux) context.util.fluxStepCallback(state);
      else context.util.sdStepCallback(state, this.base as BaseModelType);
    }
    return report({ done: true });
  },
});

export const ServicesProbe = defineInvocation({
  type: "test_services_probe",
  version: "1.0.0",
  inputs: { image_name: InputField(z.string().nullable(), { default: null }) },
  output: ReportOutput,
  async invoke(context) {
    context.logger.info("hello from a node");
    context.logger.warning("careful, node");
    const config = context.config.get();
    let mutationError = "";
    try {
      (config as Record<string, unknown>).pil_compress_level = 9;
    } catch (error) {
      mutationError = (error as Error).constructor.name;
    }
    const modelError = await context.models.load("some-key").then(
      () => null,
      (error: unknown) => ({ code: (error as { code: string }).code, message: (error as Error).message }),
    );
    const board = await context.boards.create("Made by a node");
    if (this.image_name !== null) await context.boards.addImageToBoard(board.board_id, this.image_name);
    return report({
      pil_compress_level: config.pil_compress_level,
      frozen: Object.isFrozen(config),
      mutationError,
      modelError,
      board: await context.boards.getDto(board.board_id),
      all: (await context.boards.getAll()).map((b) => b.board_name),
      names: await context.boards.getAllImageNamesForBoard(board.board_id),
    });
  },
});

/** Every test node. */
export const TEST_NODES: AnyInvocationDefinition[] = [
  MakeImage,
  InspectImage,
  TensorRoundTrip,
  Progress,
  Denoise,
  ServicesProbe,
] as unknown as AnyInvocationDefinition[];

/** A node run: the context it got and what it returned. */
export interface NodeRun {
  context: EngineInvocationContext;
  output: InvocationOutputObject;
  data: InvocationContextData;
}

/**
 * Runs a node the way the session processor does: a fresh context bound to the queue item and the node JSON,
 * the inputs parsed (defaults applied) and `invoke` called with them as `this`, the output validated.
 */
export async function runNode(
  services: Services,
  definition: AnyInvocationDefinition,
  node: Record<string, unknown> & { id: string },
  options: { abort?: AbortController } = {},
): Promise<NodeRun> {
  const abort = options.abort ?? new AbortController();
  const invocation = { type: definition.type, is_intermediate: false, use_cache: true, ...node };
  const data: InvocationContextData = {
    queueItem: QUEUE_ITEM,
    sourceGraph: SOURCE_GRAPH,
    invocation,
    sourceNodeId: `source-${node.id}`,
    executionId: node.id,
    cancel: { isCanceled: () => abort.signal.aborted, signal: abort.signal },
  };
  const context = Object.assign(services.createContext(data), { cancelForTest: () => abort.abort() });
  const output = await runInvocation(definition, invocation, context);
  await context.settle();
  return { context, output, data };
}

/** Parses a ReportOutput. */
export function reportOf<T = Record<string, unknown>>(output: InvocationOutputObject): T {
  return JSON.parse(output.report as string) as T;
}
