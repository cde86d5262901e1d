import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { CanceledError, UnsupportedBaseModelError } from "@atelier/core";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import {
  BoardNotFoundError,
  createInvocationContext,
  ImageNotFoundError,
  invocationEventBase,
  ObjectNotFoundError,
  type InvocationProgressPayload,
} from "@atelier/engine";
import { pngTextChunks, testServices, type TestServices } from "../services/service-fixture.js";
import {
  Denoise,
  InspectImage,
  MakeImage,
  Progress,
  QUEUE_ITEM,
  reportOf,
  runNode,
  ServicesProbe,
  SOURCE_GRAPH,
  TensorRoundTrip,
} from "./test-nodes.js";

let fixture: TestServices | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

async function setup(): Promise<TestServices> {
  fixture = await testServices();
  return fixture;
}

function collectProgress(f: TestServices): InvocationProgressPayload[] {
  const events: InvocationProgressPayload[] = [];
  f.services.events.on("invocation_progress", (payload) => {
    events.push(payload);
  });
  return events;
}

async function decodeDataUrl(url: string): Promise<{ width: number; height: number; data: Buffer }> {
  expect(url.startsWith("data:image/jpeg;base64,")).toBe(true);
  const jpeg = Buffer.from(url.slice("data:image/jpeg;base64,".length), "base64");
  expect((await sharp(jpeg).metadata()).format).toBe("jpeg");
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

// Latent→RGB factors from the reference (rows = latent channels; columns R, G, B), written out here so that the
// expected colours do not come from the code under test.
const SD1_FACTORS = [
  [0.3444, 0.1385, 0.067],
  [0.1247, 0.4027, 0.1494],
  [-0.3192, 0.2513, 0.2103],
  [-0.1307, -0.1874, -0.7445],
];
const FLUX_FIRST_ROW = [-0.0412, 0.0149, 0.0521];

function expectedRgb(channelValues: number[], factors: number[][]): number[] {
  return [0, 1, 2].map((k) => {
    const x = channelValues.reduce((sum, v, c) => sum + v * factors[c][k], 0);
    return Math.trunc(Math.min(Math.max((x + 1) / 2, 0), 1) * 255);
  });
}

describe("context.images through a node run", () => {
  it("saves with the node's metadata and board, the queue item's workflow and the source graph, UTF-8 safe", async () => {
    const f = await setup();
    const { services } = f;
    const board = await services.boards.create("Node board");
    const progress = collectProgress(f);
    const metadata = { positive_prompt: "桜の木 🌸 under a full moon 🌕", seed: 7, nested: { 中文: "汉字" } };
    const { output, data } = await runNode(services, MakeImage, {
      id: "make-exec-1",
      width: 500,
      height: 300,
      metadata,
      board: { board_id: board.board_id },
      is_intermediate: true,
    });
    expect(output.type).toBe("image_output");
    const name = (output.image as { image_name: string }).image_name;
    expect(output).toMatchObject({ width: 500, height: 300 });

    const dto = await services.images.getDto(name);
    expect(dto).toMatchObject({
      image_origin: "internal",
      image_category: "general",
      is_intermediate: true,
      session_id: QUEUE_ITEM.session_id,
      node_id: "make-exec-1",
      has_workflow: true,
      board_id: board.board_id,
    });
    const png = await readFile(await services.images.getPath(name));
    const chunks = pngTextChunks(png);
    expect(JSON.parse(chunks.invokeai_metadata)).toEqual(metadata);
    expect(JSON.parse(chunks.invokeai_workflow)).toEqual(QUEUE_ITEM.workflow);
    expect(JSON.parse(chunks.invokeai_graph)).toEqual(SOURCE_GRAPH);
    const comments = Object.fromEntries(((await sharp(png).metadata()).comments ?? []).map((c) => [c.keyword, c.text]));
    expect(JSON.parse(comments.invokeai_metadata)).toEqual(metadata);
    expect(JSON.parse(comments.invokeai_workflow).name).toBe("Test workflow ✨");

    const thumb = await sharp(await readFile(await services.images.getPath(name, true))).metadata();
    expect(Math.max(thumb.width!, thumb.height!)).toBe(256);
    expect(Math.abs(thumb.width! / thumb.height! - 500 / 300)).toBeLessThan(0.01);

    expect(progress).toHaveLength(1);
    expect(progress[0]).toEqual({
      ...invocationEventBase(data),
      timestamp: progress[0].timestamp,
      message: "Saving image",
      percentage: null,
      image: null,
      device: null,
    });
    expect((await services.boards.getDto(board.board_id)).image_count).toBe(0); // intermediates are not counted
  });

  it("lets explicit save arguments win over the node's metadata and board inputs", async () => {
    const f = await setup();
    const { services } = f;
    const nodeBoard = await services.boards.create("node");
    const argBoard = await services.boards.create("argument");
    const { output } = await runNode(services, MakeImage, {
      id: "m2",
      width: 16,
      height: 16,
      category: "control",
      metadata: { from: "node" },
      board: { board_id: nodeBoard.board_id },
      explicit_board_id: argBoard.board_id,
      explicit_metadata: { from: "argument" },
    });
    const name = (output.image as { image_name: string }).image_name;
    expect(await services.images.getMetadata(name)).toEqual({ from: "argument" });
    expect(await services.boards.getDto(argBoard.board_id)).toMatchObject({ asset_count: 1, image_count: 0 });
    expect(await services.boards.getDto(nodeBoard.board_id)).toMatchObject({ asset_count: 0, cover_image_name: null });
    // Without metadata or board anywhere, the image has neither.
    const plain = await runNode(services, MakeImage, { id: "m3", width: 8, height: 8 });
    const plainName = (plain.output.image as { image_name: string }).image_name;
    expect(await services.images.getMetadata(plainName)).toBeNull();
    expect(await services.images.getDto(plainName)).not.toHaveProperty("board_id");
  });

  it("reads images back as copies, converts modes and counts images on boards", async () => {
    const f = await setup();
    const { services } = f;
    const board = await services.boards.create("Counted");
    const names: string[] = [];
    for (const id of ["a", "b"]) {
      const { output } = await runNode(services, MakeImage, {
        id,
        width: 48,
        height: 24,
        board: { board_id: board.board_id },
      });
      names.push((output.image as { image_name: string }).image_name);
    }
    expect(await services.boards.getDto(board.board_id)).toMatchObject({ image_count: 2, cover_image_name: names[1] });

    const grey = reportOf<{ width: number; height: number; mode: string; path: string; thumbnail: string }>(
      (await runNode(services, InspectImage, { id: "i1", image: { image_name: names[0] }, mode: "L" })).output,
    );
    expect(grey).toMatchObject({ width: 48, height: 24, mode: "L" });
    expect(grey.path).toBe(path.join(services.config.paths.images, names[0]));
    expect(existsSync(grey.thumbnail)).toBe(true);
    // The first read zeroed its copy; the second read still sees the stored pixels.
    const again = await services.images.getImage(names[0]);
    expect(again.mode).toBe("RGB");
    expect(again.data[47 * 3]).toBe(255);

    const probe = reportOf<{ board: { image_count: number }; names: string[] }>(
      (await runNode(services, ServicesProbe, { id: "p1", image_name: names[0] })).output,
    );
    expect(probe.board.image_count).toBe(1);
    expect(probe.names).toEqual([names[0]]);
  });

  it("fails with typed errors that name unknown images, boards, tensors and conditioning", async () => {
    const f = await setup();
    const error = await runNode(f.services, InspectImage, { id: "i", image: { image_name: "nowhere.png" } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect((error as Error).message).toContain('"nowhere.png"');
    const { context } = await runNode(f.services, Progress, { id: "p" });
    await expect(context.boards.getDto("no-board")).rejects.toBeInstanceOf(BoardNotFoundError);
    await expect(context.tensors.load("Tensor_00000000-0000-0000-0000-000000000000")).rejects.toBeInstanceOf(
      ObjectNotFoundError,
    );
    await expect(context.conditioning.load("ConditioningFieldData_nope")).rejects.toThrow(
      /ConditioningFieldData "ConditioningFieldData_nope" not found/,
    );
    await expect(context.images.getDto("x.png")).rejects.toBeInstanceOf(ImageNotFoundError);
  });
});

describe("context.tensors and context.conditioning", () => {
  it("keeps saved tensors and conditioning across a restart of the services", async () => {
    const f = await setup();
    const saved = reportOf<{ tensor: string; conditioning: string; shape: number[] }>(
      (await runNode(f.services, TensorRoundTrip, { id: "t", values: [1.5, -2, 3.25, 0, 8, -0.5] })).output,
    );
    expect(saved.tensor).toMatch(/^Tensor_[0-9a-f-]{36}$/);
    expect(saved.shape).toEqual([2, 3]);
    const services = await f.restart();
    expect(existsSync(path.join(services.config.paths.tensors, `${saved.tensor}.safetensors`))).toBe(true);
    const { context } = await runNode(services, Progress, { id: "after-restart" });
    const tensor = await context.tensors.load(saved.tensor);
    expect(tensor).toEqual({ dtype: "float32", shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, 8, -0.5]) });
    const conditioning = await context.conditioning.load(saved.conditioning);
    expect(conditioning.conditionings).toHaveLength(1);
    expect(conditioning.conditionings[0]).toMatchObject({ kind: "sdxl" });
    expect(
      Array.from((conditioning.conditionings[0] as { add_time_ids: { data: Float32Array } }).add_time_ids.data),
    ).toEqual([1024, 1024, 0, 0, 1024, 1024]);
  });
});

describe("context.util", () => {
  it("emits progress in order with InvokeAI's payload and JPEG previews at the requested size", async () => {
    const f = await setup();
    const progress = collectProgress(f);
    const { data, output } = await runNode(f.services, Progress, { id: "prog" });
    expect(reportOf(output)).toEqual({ canceled: false });
    expect(progress.map((p) => [p.message, p.percentage])).toEqual([
      ["Starting", null],
      ["Halfway", 0.5],
      ["Preview", null],
    ]);
    for (const payload of progress) {
      expect(payload).toMatchObject({
        queue_id: "default",
        item_id: 7,
        batch_id: "batch-1",
        origin: "tests",
        destination: "gallery",
        user_id: "system",
        session_id: "session-1",
        invocation: data.invocation,
        invocation_source_id: "source-prog",
        device: null,
      });
      expect(typeof payload.timestamp).toBe("number");
    }
    expect(progress[1].image).toMatchObject({ width: 400, height: 200 });
    const preview = await decodeDataUrl(progress[1].image!.dataURL);
    expect([preview.width, preview.height]).toEqual([40, 20]);
    expect(progress[2].image).toMatchObject({ width: 10, height: 6 });
  });

  it("turns a known SD latent into the expected preview colours, 8× size and step fractions", async () => {
    const f = await setup();
    const progress = collectProgress(f);
    const values = [0.5, -0.25, 0.1, 0.3];
    await runNode(f.services, Denoise, { id: "d", channel_values: values, steps: 4 });
    expect(progress.map((p) => p.message)).toEqual(["Denoising", "Denoising", "Denoising", "Denoising"]);
    expect(progress.map((p) => p.percentage)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(progress[0].image).toMatchObject({ width: 24, height: 16 });
    const preview = await decodeDataUrl(progress[0].image!.dataURL);
    expect([preview.width, preview.height]).toEqual([3, 2]);
    const expected = expectedRgb(values, SD1_FACTORS);
    for (let p = 0; p < 6; p++) {
      for (let k = 0; k < 3; k++)
        expect(Math.abs(preview.data[p * 3 + k] - expected[k]), `pixel ${p} channel ${k}`).toBeLessThanOrEqual(3);
    }
  });

  it("counts halves for second-order schedulers and previews FLUX latents without a batch axis", async () => {
    const f = await setup();
    const progress = collectProgress(f);
    await runNode(f.services, Denoise, { id: "o2", channel_values: [0, 0, 0, 0], steps: 6, order: 2 });
    expect(progress.map((p) => p.percentage)).toEqual([0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1]);
    progress.length = 0;
    const flux = [2, ...new Array<number>(15).fill(0)];
    await runNode(f.services, Denoise, { id: "flux", channel_values: flux, steps: 1, flux: true, height: 4, width: 5 });
    expect(progress[0].image).toMatchObject({ width: 40, height: 32 });
    const preview = await decodeDataUrl(progress[0].image!.dataURL);
    const expected = expectedRgb([2], [FLUX_FIRST_ROW]);
    for (let k = 0; k < 3; k++) expect(Math.abs(preview.data[k] - expected[k])).toBeLessThanOrEqual(3);
    await expect(
      runNode(f.services, Denoise, { id: "bad", base: "no-such-base", channel_values: [0, 0, 0, 0] }),
    ).rejects.toBeInstanceOf(UnsupportedBaseModelError);
  });

  it("stops a canceled denoise: the step callback throws CanceledError and the signal is aborted", async () => {
    const f = await setup();
    const progress = collectProgress(f);
    const abort = new AbortController();
    const error = await runNode(
      f.services,
      Denoise,
      { id: "c", channel_values: [0.1, 0.2, 0.3, 0.4], steps: 5, cancel_at_step: 3 },
      { abort },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanceledError);
    expect(abort.signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(progress.map((p) => p.percentage)).toEqual([0.2, 0.4]);
  });

  it("blanks iterate and collect collections in event payloads", () => {
    const base = invocationEventBase({
      queueItem: QUEUE_ITEM,
      sourceGraph: null,
      invocation: { id: "it", type: "iterate", collection: [1, 2, 3], index: 1 },
      sourceNodeId: "it-src",
      cancel: { isCanceled: () => false, signal: new AbortController().signal },
    });
    expect(base.invocation).toEqual({ id: "it", type: "iterate", collection: [], index: 1 });
    expect(base.invocation_source_id).toBe("it-src");
  });
});

describe("context.images.save with a sharp pipeline", () => {
  it("renders the pipeline and stores its pixels", async () => {
    const f = await setup();
    const { context } = await runNode(f.services, Progress, { id: "s" });
    const pipeline = sharp({
      create: { width: 30, height: 20, channels: 4, background: { r: 200, g: 10, b: 50, alpha: 1 } },
    });
    const dto = await context.images.save(pipeline, { imageCategory: "other" });
    expect(dto).toMatchObject({ width: 30, height: 20, image_category: "other", node_id: "s" });
    const pixels = await f.services.images.getImage(dto.image_name);
    expect([pixels.mode, pixels.data[0], pixels.data[1], pixels.data[2], pixels.data[3]]).toEqual([
      "RGBA",
      200,
      10,
      50,
      255,
    ]);
  });
});

describe("context.models", () => {
  it("uses the model manager's interface when the services provide one", async () => {
    const f = await setup();
    const fake = { exists: async () => true } as unknown as import("@atelier/core").ModelsInterface;
    const seen: string[] = [];
    const context = createInvocationContext(
      {
        ...f.services,
        modelsFor: (data, util) => {
          seen.push(`${data.invocation.type}:${typeof util.signalProgress}`);
          return fake;
        },
      },
      {
        queueItem: QUEUE_ITEM,
        sourceGraph: null,
        invocation: { id: "m", type: "test_denoise" },
        sourceNodeId: "m",
        cancel: { isCanceled: () => false, signal: new AbortController().signal },
      },
    );
    expect(context.models).toBe(fake);
    expect(await context.models.exists("k")).toBe(true);
    expect(seen).toEqual(["test_denoise:function"]);
  });
});

describe("context.logger, context.config, context.models and context.boards", () => {
  it("binds the logger to the queue item and node, freezes the config and refuses models clearly", async () => {
    const f = await setup();
    const probe = reportOf<{
      pil_compress_level: number;
      frozen: boolean;
      mutationError: string;
      modelError: { code: string; message: string };
      all: string[];
    }>((await runNode(f.services, ServicesProbe, { id: "probe-exec" })).output);
    expect(probe).toMatchObject({
      pil_compress_level: 1,
      frozen: true,
      mutationError: "TypeError",
      all: ["Made by a node"],
    });
    // createServices wires the model manager in: an unknown key is a typed, named error.
    expect(probe.modelError.code).toBe("unknown_model");
    expect(probe.modelError.message).toBe('Unknown model: no model has key "some-key"');
    const line = f.logs.find((l) => l.msg === "hello from a node");
    expect(line).toMatchObject({
      level: 30,
      queue_item_id: 7,
      session_id: "session-1",
      node_id: "source-probe-exec",
      node_type: "test_services_probe",
    });
    expect(f.logs.find((l) => l.msg === "careful, node")).toMatchObject({ level: 40, node_id: "source-probe-exec" });
  });
});
