import type { JsonSchema } from "./json-schema.js";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: "null" }], default: null });
const list = (item: JsonSchema): JsonSchema => nullable({ type: "array", items: item });

/**
 * The UI-facing models InvokeAI always publishes beside the nodes (`UIConfigBase`, `InputFieldJSONSchemaExtra`,
 * `OutputFieldJSONSchemaExtra`): a schema-driven UI's type generator reads them. They refer to the enums core
 * publishes (`Input`, `FieldKind`, `UIType`, `UIComponent`, `Classification`, the model taxonomy).
 */
export function invokeaiExtraSchemas(): Record<string, JsonSchema> {
  return {
    UIConfigBase: {
      type: "object",
      title: "UIConfigBase",
      description: "Provides additional node configuration to the UI.",
      properties: {
        tags: list({ type: "string" }),
        title: nullable({ type: "string" }),
        category: nullable({ type: "string" }),
        version: { type: "string", description: 'The node\'s version, a semver string e.g. "1.0.0"' },
        node_pack: {
          type: "string",
          description: "The node pack that this node belongs to, 'invokeai' for built-in nodes",
        },
        classification: { ...ref("Classification"), default: "stable" },
      },
      required: ["tags", "title", "category", "version", "node_pack", "classification"],
    },
    InputFieldJSONSchemaExtra: {
      type: "object",
      title: "InputFieldJSONSchemaExtra",
      description: "Extra attributes added to input fields and their schema; read by the workflow editor.",
      properties: {
        input: ref("Input"),
        field_kind: ref("FieldKind"),
        orig_required: { type: "boolean", default: true },
        default: { anyOf: [{}, { type: "null" }], default: null },
        orig_default: { anyOf: [{}, { type: "null" }], default: null },
        ui_hidden: { type: "boolean", default: false },
        ui_type: nullable(ref("UIType")),
        ui_component: nullable(ref("UIComponent")),
        ui_order: nullable({ type: "integer" }),
        ui_choice_labels: nullable({ type: "object", additionalProperties: { type: "string" } }),
        ui_model_base: list(ref("BaseModelType")),
        ui_model_type: list(ref("ModelType")),
        ui_model_variant: list({ type: "string" }),
        ui_model_format: list(ref("ModelFormat")),
      },
      required: [
        "input",
        "field_kind",
        "orig_required",
        "default",
        "orig_default",
        "ui_hidden",
        "ui_type",
        "ui_component",
        "ui_order",
      ],
    },
    OutputFieldJSONSchemaExtra: {
      type: "object",
      title: "OutputFieldJSONSchemaExtra",
      description: "Extra attributes added to output fields and their schema; read by the workflow editor.",
      properties: {
        field_kind: ref("FieldKind"),
        ui_hidden: { type: "boolean", default: false },
        ui_order: nullable({ type: "integer" }),
        ui_type: nullable(ref("UIType")),
      },
      required: ["field_kind", "ui_hidden", "ui_order", "ui_type"],
    },
  };
}
