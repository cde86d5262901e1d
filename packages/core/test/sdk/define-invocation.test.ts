import { describe, expect, it } from "vitest";
import {
  AnyField,
  defineInvocation,
  defineOutput,
  ImageField,
  InputField,
  IntegerOutput,
  ModelIdentifierField,
  NodeDefinitionError,
  OutputField,
  RESERVED_INPUT_NAMES,
  WithBoard,
  WithMetadata,
  z,
  type AnyInvocationDefinition,
} from "@atelier/core";

const noop = () => ({ value: 1 });

/** Defines a minimal node with the given overrides; the cast lets tests pass what a JS node pack could pass. */
function define(overrides: Record<string, unknown>): AnyInvocationDefinition {
  return defineInvocation({
    type: "test_node",
    version: "1.0.0",
    inputs: {},
    output: IntegerOutput,
    invoke: noop,
    ...overrides,
  } as never) as AnyInvocationDefinition;
}

function definitionError(fn: () => unknown): NodeDefinitionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NodeDefinitionError);
    return err as NodeDefinitionError;
  }
  throw new Error("expected a NodeDefinitionError");
}

describe("defineInvocation", () => {
  it("records metadata, defaults and node attributes", () => {
    const def = define({ type: "my_node", title: "Mine", tags: ["a"], category: "image", version: "1.2.3" });
    expect(def).toMatchObject({
      type: "my_node",
      title: "Mine",
      tags: ["a"],
      category: "image",
      version: "1.2.3",
      useCache: true,
      classification: "stable",
      nodePack: "invokeai",
      schemaName: "MyNodeInvocation",
      outputType: "integer_output",
    });
    expect(Object.keys(def.fields)).toEqual(["id", "is_intermediate", "use_cache", "type"]);
    expect(def.inputs.type!.type).toEqual({ kind: "enum", values: ["my_node"] });
    expect(def.inputs.id).toMatchObject({ kind: "node_attribute", required: false });
    expect(def.outputs.value!.type).toEqual({ kind: "int" });
    expect(define({ type: "resize_invocation" }).schemaName).toBe("ResizeInvocation");
    expect(define({ schemaName: "ImageResizeInvocation" }).schemaName).toBe("ImageResizeInvocation");
    expect(define({ useCache: false }).useCache).toBe(false);
  });

  it("orders fields like InvokeAI: mixins (last first), attributes, inputs, type", () => {
    const def = define({
      mixins: [WithMetadata, WithBoard],
      inputs: { image: InputField(ImageField), width: InputField(z.number().int(), { default: 512 }) },
    });
    expect(Object.keys(def.fields)).toEqual([
      "board",
      "metadata",
      "id",
      "is_intermediate",
      "use_cache",
      "image",
      "width",
      "type",
    ]);
    expect(def.inputs.metadata).toEqual({
      type: { kind: "ref", name: "MetadataField" },
      input: "connection",
      kind: "internal",
      required: false,
    });
    expect(def.inputs.board).toMatchObject({ input: "direct", kind: "internal", required: false });
    expect(def.inputs.image).toEqual({
      type: { kind: "ref", name: "ImageField" },
      input: "any",
      kind: "input",
      required: true,
    });
    expect(def.inputs.width).toMatchObject({ type: { kind: "int" }, required: false });
  });

  it.each(RESERVED_INPUT_NAMES)("refuses the reserved input name %s", (name) => {
    const err = definitionError(() => define({ inputs: { [name]: InputField(z.string()) } }));
    expect(err.message).toContain("Node test_node");
    expect(err.message).toContain(`"${name}" is reserved`);
    expect(err.details).toEqual({ node_type: "test_node", field: name });
  });

  it("points metadata/board users to the mixins", () => {
    expect(definitionError(() => define({ inputs: { board: InputField(z.string()) } })).message).toContain("WithBoard");
  });

  it.each(["type", "output_meta"])("refuses the reserved output name %s", (name) => {
    const err = definitionError(() => defineOutput({ type: "my_output", fields: { [name]: OutputField(z.string()) } }));
    expect(err.message).toBe(`Output my_output: output field name "${name}" is reserved`);
    expect(err.details).toEqual({ output_type: "my_output", field: name });
  });

  it.each(["", "has space", "tab\there", " lead"])("refuses the type id %j", (type) => {
    const err = definitionError(() => define({ type }));
    expect(err.message).toContain(JSON.stringify(type));
    expect(err.message).toContain("without whitespace");
  });

  it("refuses a bad output type id", () => {
    expect(definitionError(() => defineOutput({ type: "my output", fields: {} })).details).toEqual({
      output_type: "my output",
    });
  });

  it.each(["1.0", "v1.0.0", "1.0.0.0", "01.0.0", "", "latest"])("refuses the version %j", (version) => {
    const err = definitionError(() => define({ version }));
    expect(err.message).toBe(
      `Node test_node: version ${JSON.stringify(version)} is not a semantic version such as "1.0.0"`,
    );
  });

  it("accepts pre-release and build versions", () => {
    expect(define({ version: "2.0.0-beta.1+build.5" }).version).toBe("2.0.0-beta.1+build.5");
  });

  it("refuses a default that does not satisfy its schema, naming node, field and problem", () => {
    const err = definitionError(() =>
      define({ inputs: { width: InputField(z.number().int().gte(0), { default: -1 }) } }),
    );
    expect(err.message).toBe('Node test_node: the default of field "width" (-1) is invalid: must be ≥ 0');
    expect(err.details).toEqual({ node_type: "test_node", field: "width" });
    expect(() => define({ inputs: { w: InputField(z.number().multipleOf(8), { default: 12 }) } })).toThrow(
      /must be a multiple of 8/,
    );
    expect(() => define({ inputs: { m: InputField(z.enum(["a", "b"]), { default: "c" as never }) } })).toThrow(
      /must be one of "a", "b"/,
    );
    // null is always a valid default: it widens the field to T | None, as InvokeAI does.
    expect(define({ inputs: { mask: InputField(ImageField, { default: null }) } }).inputs.mask!.required).toBe(false);
  });

  it("refuses an output default that does not satisfy its schema", () => {
    expect(() => defineOutput({ type: "o", fields: { v: OutputField(z.number().int(), { default: 1.5 }) } })).toThrow(
      /Output o: the default of field "v" is invalid: must be int, not float/,
    );
  });

  it("refuses an output that was not made with defineOutput", () => {
    const err = definitionError(() => define({ output: { type: "image_output", fields: {} } }));
    expect(err.message).toBe("Node test_node: output must be an output type made with defineOutput(...)");
  });

  it("refuses inputs and output fields not made with InputField / OutputField", () => {
    expect(definitionError(() => define({ inputs: { width: z.number() } })).message).toBe(
      'Node test_node: input "width" must be declared with InputField(schema, …)',
    );
    expect(() => defineOutput({ type: "o", fields: { v: z.number() as never } })).toThrow(/OutputField/);
  });

  it("refuses field names that are not identifiers", () => {
    expect(definitionError(() => define({ inputs: { "my field": InputField(z.string()) } })).details.field).toBe(
      "my field",
    );
  });

  it("refuses unknown mixins, classifications, ui hints and zod types without a wire form", () => {
    expect(() => define({ mixins: [{ atelierKind: "mixin", name: "WithSecrets", fields: {} }] })).toThrow(
      /mixins may only be WithMetadata and WithBoard/,
    );
    expect(() => define({ classification: "experimental" })).toThrow(/unknown classification "experimental"/);
    expect(() =>
      define({ inputs: { m: InputField(ModelIdentifierField, { ui_model_base: "sd-9" as never }) } }),
    ).toThrow(/ui_model_base "sd-9" is not one of/);
    expect(() => define({ inputs: { d: InputField(z.date()) } })).toThrow(
      /Node test_node: field "d": zod type "date" cannot be used in a node field/,
    );
    expect(() => define({ invoke: "nope" })).toThrow(/invoke\(context\) must be a function/);
  });

  it("normalises scalar ui_model_* hints to lists and keeps only given hints", () => {
    const spec = InputField(ModelIdentifierField, { ui_model_base: "sdxl", ui_model_type: ["main", "lora"] });
    expect(spec.ui).toEqual({ ui_model_base: ["sdxl"], ui_model_type: ["main", "lora"] });
    expect(InputField(AnyField).ui).toEqual({});
  });

  it("takes a zod .default() as the field default", () => {
    const spec = InputField(z.number().int().default(7));
    expect(spec).toMatchObject({ hasDefault: true, default: 7 });
  });
});
