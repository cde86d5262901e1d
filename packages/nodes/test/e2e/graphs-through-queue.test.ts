/**
 * InvokeAI-style graphs of model-free nodes run end to end through the real queue (services on a temp root, SQLite,
 * images on disk): primitives → math → strings → image ops → save with metadata, iterate/collect, `if` (only the
 * chosen branch runs) and batch nodes expanded headlessly into several queue items.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRunDocument, prepareHeadlessBatch } from "@atelier/engine";
import { expandBatchNodes } from "../../src/index.js";
import {
  edge,
  openDiffusionHarness,
  resultOf,
  runGraph,
  waitForItem,
  type DiffusionHarness,
  type FinishedItem,
} from "../support/diffusion-fixtures.js";

let h: DiffusionHarness;

beforeAll(async () => {
  h = await openDiffusionHarness("atelier-e2e-graphs-");
});

afterAll(async () => {
  await h?.close();
});

type Node = Record<string, unknown> & { id: string; type: string };
const graphOf = (id: string, nodes: Node[], edges: Record<string, unknown>[]) => ({
  id,
  nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
  edges,
});

function completed(item: FinishedItem): FinishedItem {
  expect(item.error_message ?? null, item.error_traceback ?? "").toBeNull();
  expect(item.status).toBe("completed");
  return item;
}

const imageName = (out: Record<string, unknown>) => (out.image as { image_name: string }).image_name;

describe("graphs of model-free nodes through the queue", () => {
  it("primitives → math → strings → blank_image → img_resize → img_blur → save_image with metadata", async () => {
    const graph = graphOf(
      "pipeline",
      [
        { id: "three", type: "integer", value: 3 },
        { id: "five", type: "integer", value: 5 },
        { id: "sum", type: "add" },
        { id: "width", type: "mul", b: 8 },
        { id: "subject", type: "string", value: "a red fox" },
        { id: "styled", type: "string_join", string_right: ", watercolor" },
        { id: "fixed", type: "string_replace", search_string: "red", replace_string: "grey" },
        { id: "prompt_item", type: "metadata_item", label: "positive_prompt" },
        { id: "width_item", type: "metadata_item", label: "width" },
        { id: "collect_items", type: "collect" },
        { id: "meta", type: "metadata" },
        { id: "read_width", type: "metadata_to_integer", label: "width", default_value: -1 },
        { id: "blank", type: "blank_image", height: 48, color: { r: 200, g: 40, b: 10, a: 255 } },
        { id: "resize", type: "img_resize", width: 32, height: 24, resample_mode: "lanczos" },
        { id: "blur", type: "img_blur", radius: 2, blur_type: "gaussian", is_intermediate: true },
        { id: "save", type: "save_image", is_intermediate: false },
      ],
      [
        edge("three", "value", "sum", "a"),
        edge("five", "value", "sum", "b"),
        edge("sum", "value", "width", "a"),
        edge("subject", "value", "styled", "string_left"),
        edge("styled", "value", "fixed", "string"),
        edge("fixed", "value", "prompt_item", "value"),
        edge("width", "value", "width_item", "value"),
        edge("prompt_item", "item", "collect_items", "item"),
        edge("width_item", "item", "collect_items", "item"),
        edge("collect_items", "collection", "meta", "items"),
        edge("meta", "metadata", "read_width", "metadata"),
        edge("width", "value", "blank", "width"),
        edge("blank", "image", "resize", "image"),
        edge("resize", "image", "blur", "image"),
        edge("blur", "image", "save", "image"),
        edge("meta", "metadata", "save", "metadata"),
      ],
    );
    const item = completed(await runGraph(h.rt, graph));
    expect(resultOf(item, "width").value).toBe(64);
    expect(resultOf(item, "fixed").value).toBe("a grey fox, watercolor");
    expect(resultOf(item, "read_width").value).toBe(64);
    expect(resultOf(item, "blank")).toMatchObject({ width: 64, height: 48 });
    const saved = resultOf(item, "save");
    expect(saved).toMatchObject({ width: 32, height: 24 });

    const name = imageName(saved);
    const pixels = await h.services.images.getImage(name);
    expect([pixels.width, pixels.height, pixels.mode]).toEqual([32, 24, "RGB"]);
    // A flat colour stays flat through resize and blur (edges are extended, not darkened).
    const unique = new Set<string>();
    for (let i = 0; i < pixels.data.length; i += 3)
      unique.add(`${pixels.data[i]},${pixels.data[i + 1]},${pixels.data[i + 2]}`);
    expect([...unique]).toEqual(["200,40,10"]);
    const metadata = await h.services.images.getMetadata(name);
    expect(metadata).toMatchObject({ positive_prompt: "a grey fox, watercolor", width: 64 });
    expect(typeof metadata?.app_version).toBe("string");
    // Each node's image is stored with the node's own is_intermediate flag.
    expect((await h.services.images.getDto(imageName(resultOf(item, "blur")))).is_intermediate).toBe(true);
    expect((await h.services.images.getDto(name)).is_intermediate).toBe(false);
  });

  it("iterate → math → collect, with a seeded noise node per iteration", async () => {
    const graph = graphOf(
      "loop",
      [
        { id: "range", type: "range", start: 1, stop: 4, step: 1 },
        { id: "each", type: "iterate" },
        { id: "times", type: "mul", b: 10 },
        { id: "plus", type: "add", b: 2 },
        { id: "gather", type: "collect" },
        { id: "noise", type: "noise", noise_type: "SD", width: 64, height: 64 },
      ],
      [
        edge("range", "collection", "each", "collection"),
        edge("each", "item", "times", "a"),
        edge("times", "value", "plus", "a"),
        edge("plus", "value", "gather", "item"),
        edge("each", "item", "noise", "seed"),
      ],
    );
    const item = completed(await runGraph(h.rt, graph));
    expect(resultOf(item, "gather").collection).toEqual([12, 22, 32]);
    // One prepared copy per iteration for the nodes inside the loop, each with its own seed.
    expect(item.session.source_prepared_mapping.times).toHaveLength(3);
    const seeds = item.session.source_prepared_mapping.noise!.map(
      (id) => (item.session.results[id]!.noise as { seed: number }).seed,
    );
    expect(seeds.sort()).toEqual([1, 2, 3]);
  });

  it.each([true, false])("`if` with condition %s runs only the chosen branch", async (condition) => {
    const graph = graphOf(
      `if-${condition}`,
      [
        { id: "cond", type: "boolean", value: condition },
        { id: "yes_text", type: "string", value: "chosen-true" },
        { id: "yes", type: "string_join", string_right: "!" },
        { id: "no_text", type: "string", value: "chosen-false" },
        { id: "no", type: "string_join", string_right: "?" },
        { id: "pick", type: "if" },
        { id: "after", type: "string_join_three", string_left: "<", string_right: ">" },
      ],
      [
        edge("cond", "value", "pick", "condition"),
        edge("yes_text", "value", "yes", "string_left"),
        edge("no_text", "value", "no", "string_left"),
        edge("yes", "value", "pick", "true_input"),
        edge("no", "value", "pick", "false_input"),
        edge("pick", "value", "after", "string_middle"),
      ],
    );
    const item = completed(await runGraph(h.rt, graph));
    expect(resultOf(item, "after").value).toBe(condition ? "<chosen-true!>" : "<chosen-false?>");
    const [ran, skipped] = condition ? ["yes", "no"] : ["no", "yes"];
    expect(() => resultOf(item, ran)).not.toThrow();
    // The other branch never ran: no prepared copy, no result, for it or for its own input.
    const mapping = item.session.source_prepared_mapping;
    for (const id of [skipped, `${skipped}_text`]) {
      const prepared = mapping[id] ?? [];
      expect(prepared.filter((p) => item.session.results[p] !== undefined)).toEqual([]);
    }
  });

  it("batch nodes of one group are zipped into queue items when the graph is run headlessly", async () => {
    const document = parseRunDocument({
      graph: graphOf(
        "batch",
        [
          { id: "ints", type: "integer_batch", integers: [1, 2, 3], batch_group_id: "Group 1" },
          { id: "words", type: "string_batch", strings: ["red", "green", "blue"], batch_group_id: "Group 1" },
          { id: "sizes", type: "integer_batch", integers: [16, 24], batch_group_id: "None" },
          { id: "shift", type: "add", b: 100 },
          { id: "label", type: "string_join", string_right: "-fox" },
          { id: "canvas", type: "blank_image", height: 8 },
          { id: "shift_item", type: "metadata_item", label: "seed" },
          { id: "meta", type: "metadata" },
          { id: "save", type: "save_image", is_intermediate: false },
        ],
        [
          edge("ints", "value", "shift", "a"),
          edge("words", "value", "label", "string_left"),
          edge("sizes", "value", "canvas", "width"),
          edge("shift", "value", "shift_item", "value"),
          edge("shift_item", "item", "meta", "items"),
          edge("canvas", "image", "save", "image"),
          edge("meta", "metadata", "save", "metadata"),
        ],
      ),
    });
    const batch = prepareHeadlessBatch(
      document,
      {},
      {
        expandBatchNodes: (g) =>
          expandBatchNodes(g) as ReturnType<
            NonNullable<Parameters<typeof prepareHeadlessBatch>[2]>["expandBatchNodes"]
          >,
      },
    );
    expect(Object.keys(batch.graph.nodes)).not.toContain("ints");
    expect(batch.data).toHaveLength(2);
    const { item_ids: ids } = await h.rt.queue.enqueueBatch("default", batch);
    expect(ids).toHaveLength(6); // 3 zipped values × 2 sizes

    const seen: string[] = [];
    for (const id of ids) {
      const item = completed(await waitForItem(h.rt, id));
      const shifted = resultOf(item, "shift").value as number;
      const label = resultOf(item, "label").value as string;
      const saved = resultOf(item, "save");
      const metadata = await h.services.images.getMetadata(imageName(saved));
      expect(metadata?.seed).toBe(shifted);
      seen.push(`${shifted}:${label}:${saved.width as number}x${saved.height as number}`);
    }
    expect(seen.sort()).toEqual(
      [
        "101:red-fox:16x8",
        "101:red-fox:24x8",
        "102:green-fox:16x8",
        "102:green-fox:24x8",
        "103:blue-fox:16x8",
        "103:blue-fox:24x8",
      ].sort(),
    );
  });

  it("composition nodes: two blank layers multiplied, hue-rotated and reduced to lightness", async () => {
    const graph = graphOf(
      "compose",
      [
        { id: "top", type: "blank_image", width: 16, height: 12, color: { r: 200, g: 100, b: 50, a: 255 } },
        { id: "bottom", type: "blank_image", width: 16, height: 12, color: { r: 128, g: 255, b: 128, a: 255 } },
        { id: "blend", type: "invokeai_img_blend", blend_mode: "Multiply" },
        { id: "hue", type: "invokeai_img_hue_adjust_plus", degrees: 360 },
        { id: "eal", type: "invokeai_ealightness" },
      ],
      [
        edge("top", "image", "blend", "layer_upper"),
        edge("bottom", "image", "blend", "layer_base"),
        edge("blend", "image", "hue", "image"),
        edge("hue", "image", "eal", "image"),
      ],
    );
    const item = completed(await runGraph(h.rt, graph));
    const blended = await h.services.images.getImage(imageName(resultOf(item, "blend")));
    const expected = [(200 * 128) / 255, (100 * 255) / 255, (50 * 128) / 255];
    expected.forEach((v, c) => expect(Math.abs(blended.data[c]! - v)).toBeLessThanOrEqual(1.5));
    const rotated = await h.services.images.getImage(imageName(resultOf(item, "hue")));
    // A full turn through Pillow's HSV bytes (truncated like InvokeAI's tensors) moves a channel by one at most.
    for (let c = 0; c < 3; c++) expect(Math.abs(rotated.data[c]! - blended.data[c]!)).toBeLessThanOrEqual(1);
    const lightness = await h.services.images.getImage(imageName(resultOf(item, "eal")));
    expect([lightness.width, lightness.height, lightness.mode]).toEqual([16, 12, "L"]);
    expect(new Set(lightness.data).size).toBe(1);
  });

  it("a failing node fails its queue item with an error naming the node and field, and the queue goes on", async () => {
    const bad = graphOf(
      "bad",
      [
        { id: "zero", type: "integer", value: 0 },
        { id: "divide", type: "integer_math", operation: "DIV", a: 7 },
      ],
      [edge("zero", "value", "divide", "b")],
    );
    const item = await runGraph(h.rt, bad);
    expect(item.status).toBe("failed");
    expect(item.error_message).toMatch(/integer_math/);
    expect(item.error_message).toMatch(/\bb\b/);
    const ok = completed(await runGraph(h.rt, graphOf("ok", [{ id: "n", type: "integer", value: 1 }], [])));
    expect(resultOf(ok, "n").value).toBe(1);
  });
});
