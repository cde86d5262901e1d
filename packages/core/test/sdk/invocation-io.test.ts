import { describe, expect, it } from "vitest";
import {
  AnyField,
  CollectInvocation,
  ColorField,
  defineInvocation,
  IfInvocation,
  ImageField,
  ImageOutput,
  InputField,
  IterateInvocation,
  LatentsOutput,
  MissingInputError,
  NodeInputError,
  NodeOutputError,
  parseInvocationInputs,
  parseInvocationOutput,
  RequiredConnectionError,
  runInvocation,
  StringOutput,
  TensorField,
  WithBoard,
  WithMetadata,
  z,
  type InvocationContext,
} from "@atelier/core";

const ResizeLike = defineInvocation({
  type: "resize_like",
  version: "1.0.0",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField),
    width: InputField(z.number().int().gt(0).multipleOf(8), { default: 512 }),
    scale: InputField(z.number().gte(0), { default: 1 }),
    mode: InputField(z.enum(["nearest", "bicubic"]), { default: "bicubic" }),
    names: InputField(z.array(z.string()), { default: [] }),
    label: InputField(z.string(), { default: "" }),
    mask: InputField(TensorField, { default: null }),
    vae: InputField(ImageField, { input: "connection" }),
    seed: InputField(z.number().int(), { input: "direct" }),
    color: InputField(ColorField, { default: { r: 0, g: 0, b: 0, a: 255 } }),
  },
  output: ImageOutput,
  invoke() {
    return ImageOutput.build({ image_name: this.image.image_name, width: this.width, height: this.width });
  },
});

const complete = {
  id: "n1",
  type: "resize_like",
  image: { image_name: "a.png" },
  vae: { image_name: "v.png" },
  seed: 3,
};

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

describe("parseInvocationInputs", () => {
  it("applies defaults and node attributes", () => {
    const self = parseInvocationInputs(ResizeLike, complete);
    expect(self).toEqual({
      id: "n1",
      type: "resize_like",
      is_intermediate: false,
      use_cache: true,
      metadata: null,
      board: null,
      image: { image_name: "a.png" },
      width: 512,
      scale: 1,
      mode: "bicubic",
      names: [],
      label: "",
      mask: null,
      vae: { image_name: "v.png" },
      seed: 3,
      color: { r: 0, g: 0, b: 0, a: 255 },
    });
  });

  it("gives every node its own copy of a default", () => {
    const a = parseInvocationInputs(ResizeLike, complete);
    (a.names as string[]).push("x");
    expect(parseInvocationInputs(ResizeLike, complete).names).toEqual([]);
  });

  it("makes up a uuid when the id is missing", () => {
    const { id: _id, ...rest } = complete;
    const self = parseInvocationInputs(ResizeLike, rest);
    expect(self.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("throws RequiredConnectionError for a connection input without a value", () => {
    const err = thrown(() => parseInvocationInputs(ResizeLike, { ...complete, vae: undefined }));
    expect(err).toBeInstanceOf(RequiredConnectionError);
    expect(err.message).toBe('Node resize_like missing connections for field vae (node id "n1")');
    expect((err as RequiredConnectionError).details).toEqual({ node_type: "resize_like", node_id: "n1", field: "vae" });
    expect(thrown(() => parseInvocationInputs(ResizeLike, { ...complete, vae: null }))).toBeInstanceOf(
      RequiredConnectionError,
    );
  });

  it("throws MissingInputError for an any input or a direct input without a value", () => {
    const err = thrown(() => parseInvocationInputs(ResizeLike, { ...complete, image: null }));
    expect(err).toBeInstanceOf(MissingInputError);
    expect(err.message).toBe('Node resize_like missing value or connection for field image (node id "n1")');
    const direct = thrown(() => parseInvocationInputs(ResizeLike, { ...complete, seed: undefined }));
    expect(direct).toBeInstanceOf(MissingInputError);
    expect((direct as MissingInputError).details.field).toBe("seed");
  });

  it("throws NodeInputError naming node, field, problem and value", () => {
    const err = thrown(() => parseInvocationInputs(ResizeLike, { ...complete, width: 12 }));
    expect(err).toBeInstanceOf(NodeInputError);
    expect(err.message).toBe('Node resize_like (id "n1"): field width must be a multiple of 8; got 12');
    expect((err as NodeInputError).details).toMatchObject({ field: "width", value: 12, node_id: "n1" });
    expect(thrown(() => parseInvocationInputs(ResizeLike, { ...complete, width: -8 })).message).toContain(
      "field width must be > 0",
    );
    expect(thrown(() => parseInvocationInputs(ResizeLike, { ...complete, mode: "lanczos" })).message).toContain(
      'field mode must be one of "nearest", "bicubic"; got "lanczos"',
    );
    expect(
      thrown(() => parseInvocationInputs(ResizeLike, { ...complete, color: { r: 300, g: 0, b: 0, a: 0 } })).message,
    ).toContain("field color r: must be ≤ 255");
    expect(thrown(() => parseInvocationInputs(ResizeLike, { ...complete, image: "a.png" })).message).toContain(
      "field image must be object, not str",
    );
    // A field with a non-null default is not widened to accept null.
    expect(thrown(() => parseInvocationInputs(ResizeLike, { ...complete, width: null })).message).toContain(
      "field width must not be null",
    );
    expect(thrown(() => parseInvocationInputs(ResizeLike, { ...complete, type: "other" }))).toBeInstanceOf(
      NodeInputError,
    );
  });

  it("coerces numbers to strings and keeps ints for floats, as pydantic does", () => {
    const self = parseInvocationInputs(ResizeLike, { ...complete, label: 42, names: [1, 2.5], scale: 2 });
    expect(self.label).toBe("42");
    expect(self.names).toEqual(["1", "2.5"]);
    expect(self.scale).toBe(2);
    expect(thrown(() => parseInvocationInputs(ResizeLike, { ...complete, seed: 1.5 })).message).toContain(
      "field seed must be int, not float",
    );
  });

  it("drops unknown fields unless the node allows extra fields", () => {
    expect(parseInvocationInputs(ResizeLike, { ...complete, extra: 1 })).not.toHaveProperty("extra");
    const Loose = defineInvocation({
      type: "loose",
      version: "1.0.0",
      allowExtraFields: true,
      inputs: {},
      output: StringOutput,
      invoke: () => ({ value: "" }),
    });
    expect(parseInvocationInputs(Loose, { id: "x", positive_prompt: "cat" })).toMatchObject({ positive_prompt: "cat" });
  });
});

describe("validateValues (graph-load time)", () => {
  it("accepts missing any/connection inputs and reports bad literal values", () => {
    expect(ResizeLike.validateValues({ id: "n1", type: "resize_like", seed: 1 })).toEqual([]);
    expect(
      ResizeLike.validateValues({ id: "n1", type: "resize_like", seed: 1, width: -1, scale: -0.5, mode: "x" }),
    ).toEqual([
      { field: "width", value: -1, message: "must be > 0; must be a multiple of 8" },
      { field: "scale", value: -0.5, message: "must be ≥ 0" },
      { field: "mode", value: "x", message: 'must be one of "nearest", "bicubic"' },
    ]);
  });

  it("reports a missing direct input, a wrong type id and null where no null is allowed", () => {
    expect(ResizeLike.validateValues({ id: "n1", type: "other", label: null })).toEqual([
      { field: "label", value: null, message: "must not be null" },
      { field: "seed", message: "is required (a direct input has no other way to get a value)" },
      { field: "type", value: "other", message: 'must be "resize_like"' },
    ]);
  });

  it("accepts null for inputs InvokeAI widens to Optional", () => {
    expect(ResizeLike.validateValues({ seed: 1, image: null, vae: null, mask: null, metadata: null })).toEqual([]);
  });
});

describe("parseInvocationOutput", () => {
  const origin = { nodeType: "resize_like", nodeId: "n1" };

  it("adds the type and validates fields", () => {
    expect(
      parseInvocationOutput(ImageOutput, ImageOutput.build({ image_name: "a.png", width: 8, height: 16 }), origin),
    ).toEqual({ image: { image_name: "a.png" }, width: 8, height: 16, type: "image_output" });
  });

  it("throws NodeOutputError for a missing, unknown or invalid field", () => {
    const missing = thrown(() => parseInvocationOutput(ImageOutput, { image: { image_name: "a" }, width: 1 }, origin));
    expect(missing).toBeInstanceOf(NodeOutputError);
    expect(missing.message).toBe(
      'Node resize_like (id "n1") returned an invalid image_output: field height is missing',
    );
    expect(
      thrown(() =>
        parseInvocationOutput(ImageOutput, { image: { image_name: "a" }, width: 1, height: 1, w: 2 }, origin),
      ).message,
    ).toContain("field w is not a field of this output");
    expect(
      thrown(() => parseInvocationOutput(ImageOutput, { image: { image_name: "a" }, width: 1.5, height: 1 }, origin))
        .message,
    ).toContain("field width must be int, not float; got 1.5");
    expect(thrown(() => parseInvocationOutput(ImageOutput, "nope", origin))).toBeInstanceOf(NodeOutputError);
  });

  it("builds latents outputs at 8x the latent size", () => {
    expect(LatentsOutput.build("lat", { shape: [1, 4, 64, 96] }, 7)).toEqual({
      latents: { latents_name: "lat", seed: 7 },
      width: 768,
      height: 512,
    });
  });
});

describe("runInvocation", () => {
  // The special nodes never touch the context.
  const context = {} as InvocationContext;

  it("runs a node with validated inputs as `this` and types its output", async () => {
    const output = await runInvocation(ResizeLike, { ...complete, width: 64 }, context);
    expect(output).toEqual({ image: { image_name: "a.png" }, width: 64, height: 64, type: "image_output" });
  });

  it("runs iterate, collect and if like InvokeAI", async () => {
    expect(await runInvocation(IterateInvocation, { id: "i", collection: ["a", "b", "c"], index: 1 }, context)).toEqual(
      { item: "b", index: 1, total: 3, type: "iterate_output" },
    );
    expect(await runInvocation(CollectInvocation, { id: "c", collection: [1, 2] }, context)).toEqual({
      collection: [1, 2],
      type: "collect_output",
    });
    const pick = (condition: boolean) =>
      runInvocation(IfInvocation, { id: "f", condition, true_input: "yes", false_input: "no" }, context);
    expect(await pick(true)).toEqual({ value: "yes", type: "if_output" });
    expect(await pick(false)).toEqual({ value: "no", type: "if_output" });
    expect(await runInvocation(IfInvocation, { id: "f", condition: true }, context)).toEqual({
      value: null,
      type: "if_output",
    });
  });

  it("reports an output a node got wrong", async () => {
    const Broken = defineInvocation({
      type: "broken",
      version: "1.0.0",
      inputs: { x: InputField(AnyField, { default: null }) },
      output: StringOutput,
      invoke: () => ({ value: [] as unknown as string }),
    });
    await expect(runInvocation(Broken, { id: "b" }, context)).rejects.toThrow(
      'Node broken (id "b") returned an invalid string_output: field value must be str, not list; got []',
    );
  });
});
