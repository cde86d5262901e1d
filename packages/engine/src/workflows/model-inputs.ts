/**
 * Model fields given by name in a headless run: `--set model.model=sd15-onnx` (or `"model.model": "sd15-onnx"` over
 * HTTP) is turned into the ModelIdentifierField value the node takes, looked up by key, else by name.
 */
import { modelIdentifierOf, type NodeTypeLookup, type TypeExpr } from "@atelier/core";
import type { ModelConfig } from "../models/configs/model-config.js";
import type { ModelRecordFilters } from "../models/records/model-records.js";
import { splitInputKey } from "./run-inputs.js";
import { RunInputError } from "./workflow-errors.js";
import type { GraphJSON } from "./workflow-to-graph.js";

/** The model records lookups this needs. */
export interface ModelLookup {
  exists(key: string): Promise<boolean>;
  get(key: string): Promise<ModelConfig>;
  search(filters: ModelRecordFilters): Promise<ModelConfig[]>;
}

function takesModelIdentifier(type: TypeExpr | undefined): boolean {
  if (type === undefined) return false;
  if (type.kind === "ref") return type.name === "ModelIdentifierField";
  if (type.kind === "union") return type.members.some(takesModelIdentifier);
  return false;
}

/**
 * Returns the inputs with every text value of a model field replaced by that model's identifier: the model with
 * that key, else the one model with that name. No match, or several models of that name, is a RunInputError
 * naming the input and the candidates.
 */
export async function resolveModelInputs(
  graph: GraphJSON,
  inputs: Readonly<Record<string, unknown>>,
  lookup: NodeTypeLookup,
  models: ModelLookup,
): Promise<Record<string, unknown>> {
  const resolved: Record<string, unknown> = { ...inputs };
  for (const [key, value] of Object.entries(inputs)) {
    if (typeof value !== "string") continue;
    const { nodeId, field } = splitInputKey(key);
    const node = graph.nodes[nodeId];
    if (node === undefined || !takesModelIdentifier(lookup.get(node.type)?.inputs[field]?.type)) continue;
    if (await models.exists(value)) {
      resolved[key] = modelIdentifierOf(await models.get(value));
      continue;
    }
    const matches = await models.search({ name: value });
    if (matches.length === 0) {
      throw new RunInputError(key, `names no installed model (no model has the key or name "${value}")`, {
        node_id: nodeId,
        field,
      });
    }
    if (matches.length > 1) {
      const which = matches.map((m) => `${m.key} (${m.base} ${m.type})`).join(", ");
      throw new RunInputError(key, `"${value}" names ${matches.length} models: ${which}; give the key instead`, {
        node_id: nodeId,
        field,
      });
    }
    resolved[key] = modelIdentifierOf(matches[0]!);
  }
  return resolved;
}
