import { describe, expect, it } from "vitest";
import {
  AnyField,
  BaseModelTypeSchema,
  ImageField,
  LatentsField,
  MetadataField,
  namedSchema,
  typeExprFromSchema,
  UnsupportedSchemaError,
  z,
} from "@atelier/core";

describe("typeExprFromSchema", () => {
  it.each([
    ["int", z.number().int().gte(0), { kind: "int" }],
    ["z.int()", z.int().multipleOf(8), { kind: "int" }],
    ["float", z.number().lte(3), { kind: "float" }],
    ["str", z.string().min(1), { kind: "str" }],
    ["bool", z.boolean(), { kind: "bool" }],
    ["enum", z.enum(["a", "b"]), { kind: "enum", values: ["a", "b"] }],
    ["literal", z.literal("x"), { kind: "enum", values: ["x"] }],
    ["unknown", z.unknown(), { kind: "any" }],
    ["any", z.any(), { kind: "any" }],
    ["AnyField", AnyField, { kind: "any" }],
    ["named model", ImageField, { kind: "ref", name: "ImageField" }],
    ["named model with description", LatentsField.describe("latents"), { kind: "ref", name: "LatentsField" }],
    ["named record", MetadataField, { kind: "ref", name: "MetadataField" }],
    ["named enum", BaseModelTypeSchema, { kind: "ref", name: "BaseModelType" }],
    ["list", z.array(ImageField), { kind: "list", item: { kind: "ref", name: "ImageField" } }],
    ["nullable", z.string().nullable(), { kind: "union", members: [{ kind: "str" }, { kind: "null" }] }],
    [
      "union",
      z.union([z.number(), z.array(z.number())]),
      { kind: "union", members: [{ kind: "float" }, { kind: "list", item: { kind: "float" } }] },
    ],
    ["default and optional are transparent", z.number().int().default(3).optional(), { kind: "int" }],
    ["pipes use their input side", z.string().transform((s) => s.length), { kind: "str" }],
    ["anonymous objects are dicts", z.object({ a: z.string() }), { kind: "ref", name: "dict" }],
  ] as const)("maps %s", (_name, schema, expected) => {
    expect(typeExprFromSchema(schema)).toEqual(expected);
  });

  it("names only the named schema, not a type extended from it", () => {
    const Named = namedSchema("MyField", z.object({ a: z.string() }));
    expect(typeExprFromSchema(Named.nullable())).toEqual({
      kind: "union",
      members: [{ kind: "ref", name: "MyField" }, { kind: "null" }],
    });
    expect(typeExprFromSchema(Named.extend({ b: z.number() }))).toEqual({ kind: "ref", name: "dict" });
  });

  it("refuses schemas without a wire form", () => {
    expect(() => typeExprFromSchema(z.date())).toThrow(UnsupportedSchemaError);
    expect(() => typeExprFromSchema(z.map(z.string(), z.string()))).toThrow(/"map"/);
  });
});
