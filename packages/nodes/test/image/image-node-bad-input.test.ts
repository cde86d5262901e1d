import { describe, expect, it } from "vitest";
import { getSchemaName, type AnyInvocationDefinition } from "@atelier/core";
import { IMAGE_NODES } from "../../src/image-nodes.js";
import { createImageTestContext } from "../support/image-test-context.js";
import { runNode } from "../support/run-node.js";

const defs = IMAGE_NODES as readonly AnyInvocationDefinition[];

/** The named model behind an input (ImageField, TensorField, …), if any. */
function namedType(def: AnyInvocationDefinition, field: string): string | undefined {
  return getSchemaName(def.inputSpecs[field].schema)?.name;
}

describe("every image node reports bad input against the node and the field", () => {
  const byRef = defs.filter((d) => {
    const required = Object.entries(d.inputSpecs).filter(([, s]) => !s.hasDefault);
    return (
      required.length > 0 &&
      required.every(([name]) => ["ImageField", "TensorField"].includes(namedType(d, name) ?? ""))
    );
  });

  it("covers most nodes by reference inputs", () => {
    expect(byRef.length).toBeGreaterThan(30);
  });

  for (const def of byRef) {
    it(`${def.type}: an image or tensor that does not exist`, async () => {
      const ctx = createImageTestContext();
      const inputs: Record<string, unknown> = {};
      const refFields = Object.keys(def.inputSpecs).filter(
        (n) => ["ImageField", "TensorField"].includes(namedType(def, n) ?? "") && !def.inputSpecs[n].hasDefault,
      );
      for (const name of refFields)
        inputs[name] =
          namedType(def, name) === "ImageField" ? { image_name: "missing.png" } : { tensor_name: "Tensor_missing" };
      const err = await runNode(def, inputs, ctx).then(
        () => null,
        (e: unknown) => e as { details?: Record<string, unknown>; message: string },
      );
      expect(err, `${def.type} accepted a missing input`).not.toBeNull();
      expect(err!.details?.node_type).toBe(def.type);
      expect(refFields).toContain(err!.details?.field);
      expect(err!.message).toContain(def.type);
    });
  }

  /** A well-formed value for a required input, so that the field under test is the one that fails. */
  const filler = (def: AnyInvocationDefinition, name: string): unknown => {
    const named = namedType(def, name);
    const fixed: Record<string, unknown> = {
      ImageField: { image_name: "x.png" },
      TensorField: { tensor_name: "Tensor_x" },
      ColorField: { r: 0, g: 0, b: 0, a: 255 },
      BoundingBoxField: { x_min: 0, y_min: 0, x_max: 1, y_max: 1 },
      Tile: { coords: { top: 0, bottom: 1, left: 0, right: 1 }, overlap: { top: 0, bottom: 0, left: 0, right: 0 } },
    };
    if (named) return fixed[named];
    const options = (def.inputSpecs[name].schema as { options?: unknown[] }).options;
    if (options) return options[0];
    return Array.isArray(def.inputSpecs[name].schema.safeParse([]).data) ? [] : 1;
  };

  for (const def of defs) {
    const scalar = Object.entries(def.inputSpecs).find(
      ([name, s]) => s.hasDefault && s.default !== null && namedType(def, name) === undefined,
    );
    if (!scalar) continue;
    it(`${def.type}: a value of the wrong type for ${scalar[0]}`, async () => {
      const ctx = createImageTestContext();
      // Numbers are coerced to strings (as pydantic does), so a string field gets an object instead.
      const wrong = typeof scalar[1].default === "string" ? { not: "a string" } : "not a valid value";
      const inputs: Record<string, unknown> = {};
      for (const [name, spec] of Object.entries(def.inputSpecs)) if (!spec.hasDefault) inputs[name] = filler(def, name);
      await expect(runNode(def, { ...inputs, [scalar[0]]: wrong }, ctx)).rejects.toMatchObject({
        details: { node_type: def.type, field: scalar[0] },
      });
    });
  }
});
