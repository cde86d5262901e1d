/**
 * The logic nodes run through the SDK's runInvocation (input parsing, invoke, output validation) against the
 * in-memory test context: normal inputs, edge inputs, and bad inputs that must fail naming the node and field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AtelierError,
  decodeSafetensors,
  NodeInputError,
  runInvocation,
  type AnyInvocationDefinition,
  type InvocationContext,
} from "@atelier/core";
import { afterAll, describe, expect, it } from "vitest";
import { LOGIC_NODES } from "../src/logic-nodes.js";
import { createTestContext } from "./support/test-context.js";

const byType = new Map(LOGIC_NODES.map((d) => [d.type, d]));
const node = (type: string): AnyInvocationDefinition => {
  const def = byType.get(type);
  if (!def) throw new Error(`no node ${type}`);
  return def;
};
const run = (type: string, fields: Record<string, unknown> = {}, ctx: InvocationContext = createTestContext()) =>
  runInvocation(node(type), { id: `${type}-1`, type, ...fields }, ctx);
/** Runs a node expecting a failure; returns the error for further checks. */
async function failure(type: string, fields: Record<string, unknown>, ctx?: InvocationContext): Promise<AtelierError> {
  try {
    await run(type, fields, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(AtelierError);
    return err as AtelierError;
  }
  throw new Error(`${type} did not fail`);
}

describe("primitives", () => {
  it("pass values through with defaults", async () => {
    expect(await run("integer", { value: 7 })).toEqual({ value: 7, type: "integer_output" });
    expect(await run("float")).toEqual({ value: 0, type: "float_output" });
    expect(await run("string", { value: "" })).toMatchObject({ value: "" });
    expect(await run("boolean", { value: true })).toMatchObject({ value: true });
    expect(await run("color")).toMatchObject({ color: { r: 0, g: 0, b: 0, a: 255 } });
    expect(await run("string_collection", { collection: ["a", "b"] })).toMatchObject({ collection: ["a", "b"] });
    expect(await run("bounding_box", { x_min: 1, y_min: 2, x_max: 30, y_max: 40 })).toMatchObject({
      bounding_box: { x_min: 1, y_min: 2, x_max: 30, y_max: 40, score: null },
    });
  });

  it("coerce like pydantic and refuse wrong types naming the field", async () => {
    expect(await run("float", { value: 3 })).toMatchObject({ value: 3 });
    const err = await failure("integer", { value: 1.5 });
    expect(err).toBeInstanceOf(NodeInputError);
    expect(err.details).toMatchObject({ node_type: "integer", node_id: "integer-1", field: "value" });
    expect((await failure("color", { color: { r: 300, g: 0, b: 0, a: 0 } })).details.field).toBe("color");
  });

  it("image and latents primitives read their records", async () => {
    const ctx = createTestContext();
    ctx.addImage("a.png", { width: 64, height: 32 });
    expect(await run("image", { image: { image_name: "a.png" } }, ctx)).toEqual({
      image: { image_name: "a.png" },
      width: 64,
      height: 32,
      type: "image_output",
    });
    const name = await ctx.tensors.save({ dtype: "float32", shape: [1, 4, 8, 16], data: new Float32Array(512) });
    expect(await run("latents", { latents: { latents_name: name, seed: 5 } }, ctx)).toMatchObject({
      latents: { latents_name: name, seed: 5 },
      width: 128,
      height: 64,
    });
    expect((await failure("image", {})).code).toBe("missing_input");
    expect((await failure("latents", {})).code).toBe("required_connection");
  });

  it("image_collection appends typed-in images to a connected collection", async () => {
    expect(
      await run("image_collection", { collection: [{ image_name: "a" }], images: [{ image_name: "b" }] }),
    ).toMatchObject({ collection: [{ image_name: "a" }, { image_name: "b" }] });
    expect(await run("image_collection")).toMatchObject({ collection: [] });
  });
});

describe("math nodes", () => {
  it("compute with InvokeAI's semantics", async () => {
    expect(await run("add", { a: 2, b: 3 })).toMatchObject({ value: 5 });
    expect(await run("sub", { a: 2, b: 3 })).toMatchObject({ value: -1 });
    expect(await run("mul", { a: -4, b: 3 })).toMatchObject({ value: -12 });
    expect(await run("div", { a: -7, b: 2 })).toMatchObject({ value: -3 });
    expect(await run("integer_math", { operation: "MOD", a: -7, b: 3 })).toMatchObject({ value: 2 });
    expect(await run("integer_math", { operation: "EXP", a: 3, b: 4 })).toMatchObject({ value: 81 });
    expect(await run("float_math", { operation: "SQRT", a: 2.25 })).toMatchObject({ value: 1.5 });
    expect(await run("round_float", { value: 2.675, decimals: 2 })).toMatchObject({ value: 2.67 });
    expect(await run("float_to_int", { value: 12.5, multiple: 5, method: "Nearest" })).toMatchObject({ value: 10 });
    expect(await run("float_range", { start: 0, stop: 1, steps: 3 })).toMatchObject({ collection: [0, 0.5, 1] });
    expect(await run("step_param_easing", { easing: "QuadIn", num_steps: 3 })).toMatchObject({
      collection: [0, 0.25, 1],
    });
  });

  it("draw random numbers in range, rounded, never cached", async () => {
    for (let i = 0; i < 20; i++) {
      const { value } = (await run("rand_int", { low: -3, high: 2 })) as { value: number };
      expect(value).toBeGreaterThanOrEqual(-3);
      expect(value).toBeLessThan(2);
      const f = ((await run("rand_float", { low: 1, high: 2, decimals: 1 })) as { value: number }).value;
      expect(f * 10).toBeCloseTo(Math.round(f * 10), 9);
    }
    expect(node("rand_int").useCache).toBe(false);
    expect(node("random_range").useCache).toBe(false);
  });

  it("fail on bad values naming the node and the field", async () => {
    const div = await failure("div", { a: 1, b: 0 });
    expect(div).toBeInstanceOf(NodeInputError);
    expect(div.message).toMatch(/Node div \(id "div-1"\): field b Cannot divide by zero/);
    expect((await failure("integer_math", { operation: "EXP", a: 2, b: -1 })).details.field).toBe("b");
    expect((await failure("integer_math", { operation: "MUL", a: 2 ** 40, b: 2 ** 30 })).details.field).toBe("b");
    expect((await failure("float_math", { operation: "SQRT", a: -4 })).details.field).toBe("a");
    expect((await failure("rand_int", { low: 5, high: 5 })).details.field).toBe("high");
    expect((await failure("float_to_int", { value: 1, multiple: 0 })).details.field).toBe("multiple");
    expect((await failure("float_range", { steps: -2 })).details.field).toBe("steps");
    expect((await failure("integer_math", { operation: "POW" })).details.field).toBe("operation");
  });

  it("validate literal values at graph-load time", () => {
    expect(node("float_to_int").validateValues({ id: "n", type: "float_to_int", multiple: 0 })).toEqual([
      expect.objectContaining({ field: "multiple" }),
    ]);
    expect(node("noise").validateValues({ id: "n", type: "noise", width: 100 })).toEqual([
      expect.objectContaining({ field: "width" }),
    ]);
    expect(node("add").validateValues({ id: "n", type: "add", a: 1, b: 2 })).toEqual([]);
  });
});

describe("string and prompt nodes", () => {
  it("split, join and replace", async () => {
    expect(await run("string_split_neg", { string: "cat [blurry]" })).toMatchObject({
      positive_string: "cat ",
      negative_string: " blurry",
    });
    expect(await run("string_split", { string: "a=b=c", delimiter: "=" })).toMatchObject({
      string_1: "a",
      string_2: "b=c",
    });
    expect(await run("string_join", { string_left: "a", string_right: "b" })).toMatchObject({ value: "ab" });
    expect(await run("string_join_three", { string_left: "a", string_middle: "-", string_right: "b" })).toMatchObject({
      value: "a-b",
    });
    expect(
      await run("string_replace", { string: "Red red", search_string: "RED", replace_string: "blue" }),
    ).toMatchObject({
      value: "blue blue",
    });
    expect((await failure("string_replace", { string: "x", search_string: "(", use_regex: true })).details.field).toBe(
      "search_string",
    );
  });

  it("dynamic_prompt generates combinatorial and random prompts", async () => {
    expect(await run("dynamic_prompt", { prompt: "a {b|c}", combinatorial: true, max_prompts: 10 })).toMatchObject({
      collection: ["a b", "a c"],
    });
    const random = (await run("dynamic_prompt", { prompt: "{x|y}", max_prompts: 5 })) as { collection: string[] };
    expect(random.collection).toHaveLength(5);
    expect(random.collection.every((p) => p === "x" || p === "y")).toBe(true);
    expect(await run("dynamic_prompt", { prompt: "" })).toMatchObject({ collection: [] });
    const bad = await failure("dynamic_prompt", { prompt: "{unclosed" });
    expect(bad.code).toBe("dynamic_prompt_syntax");
    expect((await failure("dynamic_prompt", { prompt: "x", max_prompts: -1 })).details.field).toBe("max_prompts");
    expect((await failure("dynamic_prompt", {})).details.field).toBe("prompt");
  });

  describe("prompt_from_file", () => {
    const dir = mkdtempSync(join(tmpdir(), "atelier-prompts-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("reads lines from a real file", async () => {
      const file = join(dir, "prompts.txt");
      writeFileSync(file, "a cat\r\n\r\n a dog \nlast", "utf8");
      expect(await run("prompt_from_file", { file_path: file, max_prompts: 0, pre_prompt: "photo of " })).toMatchObject(
        {
          collection: ["photo of a cat", "photo of ", "photo of a dog", "photo of last"],
        },
      );
      expect(await run("prompt_from_file", { file_path: file, start_line: 3, max_prompts: 1 })).toMatchObject({
        collection: ["a dog"],
      });
    });

    it("fails clearly on a missing file and on bad line numbers", async () => {
      const err = await failure("prompt_from_file", { file_path: join(dir, "nope.txt") });
      expect(err.message).toMatch(/field file_path names no file/);
      expect((await failure("prompt_from_file", { file_path: "x", start_line: 0 })).details.field).toBe("start_line");
    });
  });
});

describe("collection nodes", () => {
  it("build ranges like Python and numpy", async () => {
    expect(await run("range", { start: 0, stop: 10, step: 3 })).toMatchObject({ collection: [0, 3, 6, 9] });
    expect(await run("range", { start: 5, stop: 0, step: -2 })).toMatchObject({ collection: [5, 3, 1] });
    expect(await run("range_of_size", { start: 10, size: 3, step: -5 })).toMatchObject({ collection: [10, 5, 0] });
    expect(await run("random_range", { low: 1, high: 7, size: 10, seed: 123 })).toMatchObject({
      collection: [1, 5, 4, 1, 6, 2, 2, 2, 3, 2],
    });
  });

  it("refuse zero steps, empty ranges and huge sizes", async () => {
    expect((await failure("range", { step: 0 })).details.field).toBe("step");
    expect((await failure("range_of_size", { size: 0 })).details.field).toBe("size");
    expect((await failure("random_range", { low: 3, high: 1 })).details.field).toBe("high");
    expect((await failure("random_range", { size: 2e9 })).details.field).toBe("size");
    expect((await failure("random_range", { seed: -1 })).details.field).toBe("seed");
  });
});

describe("batch and generator nodes", () => {
  it("refuse to run: they are expanded at enqueue time", async () => {
    const items = {
      image_batch: { images: [{ image_name: "a.png" }] },
      string_batch: { strings: ["a"] },
      integer_batch: { integers: [1] },
      float_batch: { floats: [0.5] },
    };
    for (const [type, fields] of Object.entries(items)) {
      const err = await failure(type, fields);
      expect(err.message).toMatch(/batch nodes are expanded at enqueue time/);
      expect(err.code).toBe("batch_expansion_failed");
    }
    const gen = await failure("integer_generator", { generator: { type: "integer_generator_arithmetic_sequence" } });
    expect(gen.message).toMatch(/expanded at enqueue time/);
  });

  it("reject empty collections at validation time", () => {
    expect(node("float_batch").validateValues({ id: "b", type: "float_batch", floats: [] })).toEqual([
      expect.objectContaining({ field: "floats" }),
    ]);
  });
});

describe("metadata nodes", () => {
  it("build, merge and extend metadata", async () => {
    expect(await run("metadata_item", { label: "seed", value: 42 })).toMatchObject({
      item: { label: "seed", value: 42 },
    });
    const md = (await run("metadata", {
      items: [
        { label: "a", value: 1 },
        { label: "b", value: [2] },
      ],
    })) as {
      metadata: Record<string, unknown>;
    };
    expect(md.metadata).toEqual({ a: 1, b: [2], app_version: expect.any(String) });
    expect(await run("metadata", { items: { label: "x", value: null } })).toMatchObject({ metadata: { x: null } });
    expect(await run("merge_metadata", { collection: [{ a: 1, b: 1 }, { b: 2 }] })).toMatchObject({
      metadata: { a: 1, b: 2 },
    });
    expect(
      await run("metadata_item_linked", {
        metadata: { seed: 1 },
        label: "* CUSTOM LABEL *",
        custom_label: "note",
        value: "hi",
      }),
    ).toMatchObject({ metadata: { seed: 1, note: "hi" } });
    expect(
      await run("metadata_item_linked", { label: "vae", value: { vae: { key: "k" }, seamless_axes: [] } }),
    ).toMatchObject({ metadata: { vae: { key: "k" } } });
  });

  it("core_metadata keeps set fields and extra fields, drops nulls", async () => {
    const out = (await run("core_metadata", {
      positive_prompt: "a cat",
      seed: 3,
      steps: null,
      custom_thing: { x: 1 },
    })) as {
      metadata: Record<string, unknown>;
    };
    expect(out.metadata).toEqual({
      positive_prompt: "a cat",
      seed: 3,
      custom_thing: { x: 1 },
      app_version: expect.any(String),
    });
    expect((await failure("core_metadata", { generation_mode: "paint" })).details.field).toBe("generation_mode");
  });

  it("read typed values by label, falling back to the default", async () => {
    const metadata = { seed: "12", cfg_scale: 7, seamless_x: "true", positive_prompt: "p", widths: [1, 2] };
    expect(await run("metadata_to_integer", { metadata, label: "seed", default_value: 0 })).toMatchObject({
      value: 12,
    });
    expect(await run("metadata_to_float", { metadata, label: "cfg_scale", default_value: 1 })).toMatchObject({
      value: 7,
    });
    expect(await run("metadata_to_bool", { metadata, label: "seamless_x", default_value: false })).toMatchObject({
      value: true,
    });
    expect(await run("metadata_to_string", { metadata, label: "positive_prompt", default_value: "" })).toMatchObject({
      value: "p",
    });
    expect(
      await run("metadata_to_integer_collection", {
        metadata,
        label: "* CUSTOM LABEL *",
        custom_label: "widths",
        default_value: [],
      }),
    ).toMatchObject({ collection: [1, 2] });
    expect(await run("metadata_to_integer", { metadata, label: "steps", default_value: 30 })).toMatchObject({
      value: 30,
    });
    expect(await run("metadata_to_scheduler", { metadata: { scheduler: "dpmpp_2m" } })).toMatchObject({
      scheduler: "dpmpp_2m",
    });
    expect(await run("metadata_to_scheduler", {})).toMatchObject({ scheduler: "euler" });
  });

  it("fail clearly when a value is missing or of the wrong kind", async () => {
    // default_value is required, as in InvokeAI (input "any" without a default).
    expect((await failure("metadata_to_integer", { metadata: {}, label: "seed" })).code).toBe("missing_input");
    expect(
      (await failure("metadata_to_integer", { metadata: { seed: "x" }, label: "seed", default_value: 1 })).message,
    ).toMatch(/Metadata value at "seed" cannot be read as an integer/);
    expect((await failure("metadata_to_scheduler", { metadata: { scheduler: "fast" } })).details.field).toBe("label");
  });

  it("read metadata stored with an image", async () => {
    const ctx = createTestContext();
    ctx.addImage("m.png", { metadata: { positive_prompt: "a cat", seed: 4 } });
    ctx.addImage("bare.png");
    expect(await run("metadata_from_image", { image: { image_name: "m.png" } }, ctx)).toMatchObject({
      metadata: { positive_prompt: "a cat", seed: 4 },
    });
    expect(await run("metadata_from_image", { image: { image_name: "bare.png" } }, ctx)).toMatchObject({
      metadata: {},
    });
    expect(
      await run("metadata_field_extractor", { image: { image_name: "m.png" }, key: "positive_prompt" }, ctx),
    ).toMatchObject({
      value: "a cat",
    });
    expect(
      (await failure("metadata_field_extractor", { image: { image_name: "m.png" }, key: "seed" }, ctx)).details.field,
    ).toBe("key");
    expect(
      (await failure("metadata_field_extractor", { image: { image_name: "bare.png" }, key: "x" }, ctx)).details.field,
    ).toBe("image");
  });
});

const NOISE_FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/noise/", import.meta.url));

describe("latent nodes", () => {
  it("noise equals torch.randn for the seed (InvokeAI's SD noise)", async () => {
    const ctx = createTestContext();
    const out = (await run("noise", { seed: 0, width: 512, height: 512 }, ctx)) as {
      noise: { latents_name: string; seed: number };
      width: number;
      height: number;
    };
    expect(out).toMatchObject({ width: 512, height: 512, noise: { seed: 0 } });
    const mine = ctx.store.tensors.get(out.noise.latents_name)!;
    const ref = decodeSafetensors(
      new Uint8Array(readFileSync(join(NOISE_FIXTURES, "seed0_1x4x64x64_float32.safetensors"))),
    ).tensors.noise;
    expect(mine.shape).toEqual(ref.shape);
    const a = mine.data as Float32Array;
    const b = ref.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-5);
  });

  it("noise refuses bad types and sizes", async () => {
    expect((await failure("noise", { noise_type: "SDXL" })).details.field).toBe("noise_type");
    expect((await failure("noise", { noise_type: "FLUX", width: 520 })).details.field).toBe("width");
    expect((await failure("noise", { width: 100 })).details.field).toBe("width");
    expect((await failure("noise", { seed: 2 ** 32 })).details.field).toBe("seed");
  });

  async function latentsIn(ctx: ReturnType<typeof createTestContext>, shape: number[], f: (i: number) => number) {
    const size = shape.reduce((x, y) => x * y, 1);
    return ctx.tensors.save({ dtype: "float32", shape, data: Float32Array.from({ length: size }, (_, i) => f(i)) });
  }

  it("lresize and lscale interpolate and report pixel sizes", async () => {
    const ctx = createTestContext();
    const name = await latentsIn(ctx, [1, 4, 8, 8], (i) => i % 8);
    const resized = (await run(
      "lresize",
      { latents: { latents_name: name, seed: 9 }, width: 128, height: 64, mode: "nearest" },
      ctx,
    )) as {
      latents: { latents_name: string; seed: number };
      width: number;
      height: number;
    };
    expect(resized).toMatchObject({ width: 128, height: 64, latents: { seed: 9 } });
    expect(ctx.store.tensors.get(resized.latents.latents_name)!.shape).toEqual([1, 4, 8, 16]);
    const scaled = (await run("lscale", { latents: { latents_name: name }, scale_factor: 0.5, mode: "area" }, ctx)) as {
      latents: { latents_name: string };
    };
    const t = ctx.store.tensors.get(scaled.latents.latents_name)!;
    expect(t.shape).toEqual([1, 4, 4, 4]);
    expect(Array.from(t.data as Float32Array).slice(0, 4)).toEqual([0.5, 2.5, 4.5, 6.5]);
    expect(
      (await failure("lscale", { latents: { latents_name: name }, scale_factor: 1, mode: "linear" }, ctx)).details
        .field,
    ).toBe("mode");
    expect(
      (await failure("lresize", { latents: { latents_name: name }, width: 60, height: 64 }, ctx)).details.field,
    ).toBe("width");
  });

  it("crop_latents cuts the pixel box divided by 8, clamped to the tensor", async () => {
    const ctx = createTestContext();
    const name = await latentsIn(ctx, [1, 1, 4, 4], (i) => i);
    const out = (await run(
      "crop_latents",
      { latents: { latents_name: name }, x: 8, y: 16, width: 16, height: 64 },
      ctx,
    )) as {
      latents: { latents_name: string };
      width: number;
      height: number;
    };
    const t = ctx.store.tensors.get(out.latents.latents_name)!;
    expect(t.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([9, 10, 13, 14]);
    expect(out).toMatchObject({ width: 16, height: 16 });
    expect(
      (await failure("crop_latents", { latents: { latents_name: name }, x: 64, y: 0, width: 8, height: 8 }, ctx))
        .details.field,
    ).toBe("x");
    expect(
      (await failure("crop_latents", { latents: { latents_name: name }, x: 3, y: 0, width: 8, height: 8 }, ctx)).details
        .field,
    ).toBe("x");
  });

  it("lblend slerps A to B, keeps A where a mask is black, and checks shapes", async () => {
    const ctx = createTestContext();
    const a = await latentsIn(ctx, [1, 1, 2, 2], () => 1);
    const b = await latentsIn(ctx, [1, 1, 2, 2], () => 3);
    const out = (await run(
      "lblend",
      { latents_a: { latents_name: a, seed: 1 }, latents_b: { latents_name: b }, alpha: 0.25 },
      ctx,
    )) as {
      latents: { latents_name: string; seed: number };
    };
    expect(out.latents.seed).toBe(1);
    expect(Array.from(ctx.store.tensors.get(out.latents.latents_name)!.data as Float32Array)).toEqual([
      1.5, 1.5, 1.5, 1.5,
    ]);
    ctx.store.images.set("mask.png", {
      image: { width: 2, height: 2, mode: "L", data: Uint8Array.of(0, 255, 0, 255) },
      dto: (await ctx.images.save({ width: 2, height: 2, mode: "L", data: new Uint8Array(4) })) as never,
      metadata: null,
    });
    const masked = (await run(
      "lblend",
      { latents_a: { latents_name: a }, latents_b: { latents_name: b }, alpha: 1, mask: { image_name: "mask.png" } },
      ctx,
    )) as { latents: { latents_name: string } };
    expect(Array.from(ctx.store.tensors.get(masked.latents.latents_name)!.data as Float32Array)).toEqual([1, 3, 1, 3]);
    const other = await latentsIn(ctx, [1, 1, 2, 3], () => 0);
    expect(
      (await failure("lblend", { latents_a: { latents_name: a }, latents_b: { latents_name: other } }, ctx)).details
        .field,
    ).toBe("latents_b");
  });

  it("ideal_size follows the model's native size and the aspect ratio", async () => {
    const base = {
      getConfig: async (key: string) => ({
        key,
        hash: "h",
        name: "m",
        base: key,
        type: "main",
        format: "diffusers",
        path: "/m",
      }),
    };
    const ctx = createTestContext();
    const withModels = { ...ctx, models: { ...ctx.models, ...base } } as InvocationContext;
    const unet = (key: string) => ({
      unet: { key, hash: "h", name: "m", base: "sd-1", type: "main" },
      scheduler: { key, hash: "h", name: "m", base: "sd-1", type: "main" },
      loras: [],
    });
    expect(await run("ideal_size", { width: 1024, height: 576, unet: unet("sd-1") }, withModels)).toMatchObject({
      width: 680,
      height: 384,
    });
    expect(await run("ideal_size", { width: 1024, height: 1024, unet: unet("sdxl") }, withModels)).toMatchObject({
      width: 1024,
      height: 1024,
    });
    expect(
      await run("ideal_size", { width: 512, height: 1024, unet: unet("sd-2"), multiplier: 0.5 }, withModels),
    ).toMatchObject({
      width: 264,
      height: 536,
    });
    expect((await failure("ideal_size", { width: 5, height: 0, unet: unet("sd-1") }, withModels)).details.field).toBe(
      "height",
    );
  });
});

describe("edge inputs", () => {
  it("string nodes accept empty strings", async () => {
    expect(await run("string_join")).toMatchObject({ value: "" });
    expect(await run("string_join_three")).toMatchObject({ value: "" });
    expect(await run("string_split")).toMatchObject({ string_1: "", string_2: "" });
    expect(await run("string_split_neg")).toMatchObject({ positive_string: "", negative_string: "" });
    expect(await run("string_replace", { string: "abc" })).toMatchObject({ value: "abc" });
  });

  it("lblend keeps float16 latents float16", async () => {
    const ctx = createTestContext();
    const half = (v: number) =>
      ctx.tensors.save({ dtype: "float16", shape: [1, 1, 1, 2], data: new Uint16Array(2).fill(v) });
    const a = await half(0x3c00); // 1
    const b = await half(0x4200); // 3
    const out = (await run("lblend", { latents_a: { latents_name: a }, latents_b: { latents_name: b } }, ctx)) as {
      latents: { latents_name: string };
    };
    const t = ctx.store.tensors.get(out.latents.latents_name)!;
    expect(t.dtype).toBe("float16");
    expect(Array.from(t.data as Uint16Array)).toEqual([0x4000, 0x4000]); // 2
  });

  it("math nodes handle zero, negatives and the int32 bounds", async () => {
    expect(await run("integer_math", { operation: "ABS", a: -2147483648 })).toMatchObject({ value: 2147483648 });
    expect(await run("add", { a: 2147483647, b: 1 })).toMatchObject({ value: 2147483648 });
    expect(await run("round_float", { value: -0.5 })).toMatchObject({ value: -0 });
    expect(await run("float_range", { steps: 0 })).toMatchObject({ collection: [] });
    expect(
      await run("range_of_size", { start: -3, size: 2, step: 0 }).catch((e: AtelierError) => e.details.field),
    ).toBe("step");
  });
});
