import { AtelierError } from "../errors.js";

/** A node or output definition is invalid (raised when the node pack is loaded, never at run time). */
export class NodeDefinitionError extends AtelierError {
  constructor(message: string, details: { node_type?: string; output_type?: string; field?: string } = {}) {
    super("node_definition_invalid", message, { status: 500, details });
  }
}

/** An `input: "any"` field received neither a value nor a connection (InvokeAI's MissingInputException). */
export class MissingInputError extends AtelierError {
  constructor(nodeType: string, nodeId: string, field: string) {
    super(
      "missing_input",
      `Node ${nodeType} missing value or connection for field ${field} (node id ${JSON.stringify(nodeId)})`,
      { status: 422, details: { node_type: nodeType, node_id: nodeId, field } },
    );
  }
}

/** An `input: "connection"` field received no connection (InvokeAI's RequiredConnectionException). */
export class RequiredConnectionError extends AtelierError {
  constructor(nodeType: string, nodeId: string, field: string) {
    super(
      "required_connection",
      `Node ${nodeType} missing connections for field ${field} (node id ${JSON.stringify(nodeId)})`,
      { status: 422, details: { node_type: nodeType, node_id: nodeId, field } },
    );
  }
}

/** A node input value does not satisfy the field's schema. */
export class NodeInputError extends AtelierError {
  constructor(nodeType: string, nodeId: string, field: string, problem: string, value: unknown) {
    super(
      "node_input_invalid",
      `Node ${nodeType} (id ${JSON.stringify(nodeId)}): field ${field} ${problem}; got ${previewValue(value)}`,
      { status: 422, details: { node_type: nodeType, node_id: nodeId, field, problem, value } },
    );
  }
}

/** What a node's `invoke` returned does not match its output definition. */
export class NodeOutputError extends AtelierError {
  constructor(nodeType: string, nodeId: string, outputType: string, problem: string, field?: string) {
    const where = field === undefined ? "" : ` field ${field}`;
    super(
      "node_output_invalid",
      `Node ${nodeType} (id ${JSON.stringify(nodeId)}) returned an invalid ${outputType}:${where} ${problem}`,
      { status: 500, details: { node_type: nodeType, node_id: nodeId, output_type: outputType, field, problem } },
    );
  }
}

/** A short JSON-ish rendering of a value for error messages (long values are cut). */
export function previewValue(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? "undefined" : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
