import { AtelierError } from "@atelier/core";

/** No queue item with this id (in this queue). */
export class QueueItemNotFoundError extends AtelierError {
  constructor(itemId: number, queueId?: string) {
    super(
      "queue_item_not_found",
      queueId === undefined ? `Queue item ${itemId} not found` : `Queue item ${itemId} not found in queue "${queueId}"`,
      { status: 404, details: { item_id: itemId, ...(queueId === undefined ? {} : { queue_id: queueId }) } },
    );
  }
}

/** Where in a batch a problem is: `data[i][j]` names one datum, and its node and field when known. */
export interface BatchLocation {
  readonly path: string;
  readonly node_path?: string;
  readonly field_name?: string;
}

function where(loc: BatchLocation): string {
  const parts: string[] = [];
  if (loc.node_path !== undefined) parts.push(`node "${loc.node_path}"`);
  if (loc.field_name !== undefined) parts.push(`field "${loc.field_name}"`);
  return parts.length === 0 ? `Batch ${loc.path}` : `Batch ${loc.path} (${parts.join(", ")})`;
}

/** A batch whose shape is wrong (not an object, bad `runs`, `data` not a list of lists, …). */
export class BatchShapeError extends AtelierError {
  constructor(loc: BatchLocation, problem: string, value?: unknown) {
    super("invalid_batch", `${where(loc)}: ${problem}`, { status: 422, details: { ...loc, problem, value } });
  }
}

/** The datums of one zipped group have different numbers of items (InvokeAI's BatchZippedLengthError). */
export class BatchZippedLengthError extends AtelierError {
  constructor(group: number, lengths: { path: string; node_path: string; field_name: string; length: number }[]) {
    const list = lengths.map((l) => `${l.path} (${l.node_path}.${l.field_name}) has ${l.length}`).join(", ");
    super(
      "batch_zipped_length",
      `Batch data[${group}]: zipped datums must have the same number of items, but ${list}`,
      {
        status: 422,
        details: { path: `data[${group}]`, lengths },
      },
    );
  }
}

/** The items of one datum are of different types (InvokeAI's BatchItemsTypeError); ints and floats may mix. */
export class BatchItemsTypeError extends AtelierError {
  constructor(loc: BatchLocation, types: string[], firstBad: number) {
    super(
      "batch_items_type",
      `${where(loc)}: all items must be of one type, but they are ${types.join(" and ")} (first different: items[${firstBad}])`,
      { status: 422, details: { ...loc, types, index: firstBad } },
    );
  }
}

/** Two datums write the same node field (InvokeAI's BatchDuplicateNodeFieldError). */
export class BatchDuplicateNodeFieldError extends AtelierError {
  constructor(loc: BatchLocation, firstPath: string) {
    super("batch_duplicate_node_field", `${where(loc)}: this node field is already set by ${firstPath}`, {
      status: 422,
      details: { ...loc, first_path: firstPath },
    });
  }
}

/** A datum names a node the graph does not have. */
export class BatchNodeNotFoundError extends AtelierError {
  constructor(loc: BatchLocation) {
    super("batch_node_not_found", `${where(loc)}: the graph has no node "${loc.node_path}"`, {
      status: 422,
      details: { ...loc },
    });
  }
}

/** A datum names a field its node type does not have. */
export class BatchFieldNotFoundError extends AtelierError {
  constructor(loc: BatchLocation, nodeType: string) {
    super("batch_field_not_found", `${where(loc)}: node type "${nodeType}" has no input "${loc.field_name}"`, {
      status: 422,
      details: { ...loc, node_type: nodeType },
    });
  }
}

/** A datum writes a field that an edge feeds; the edge would silently win. */
export class BatchFieldConnectedError extends AtelierError {
  constructor(loc: BatchLocation, edge: string) {
    super(
      "batch_field_connected",
      `${where(loc)}: this field is fed by the edge ${edge}, so batch values would be ignored`,
      {
        status: 422,
        details: { ...loc, edge },
      },
    );
  }
}

/** A datum item is not a valid value of its field. */
export class BatchFieldValueError extends AtelierError {
  constructor(loc: BatchLocation, index: number, problem: string, value: unknown) {
    super("batch_field_value_invalid", `${where(loc)}: items[${index}] ${problem}`, {
      status: 422,
      details: { ...loc, index, problem, value },
    });
  }
}

/** A batch with several problems; each is listed in the message and in `details.errors`. */
export class InvalidBatchError extends AtelierError {
  /** The problems, each a typed error. */
  readonly errors: readonly AtelierError[];

  constructor(errors: readonly AtelierError[]) {
    const shown = errors.slice(0, 10).map((e, i) => `${i + 1}) ${e.message}`);
    const more = errors.length > 10 ? `; and ${errors.length - 10} more` : "";
    super("invalid_batch", `The batch was refused (${errors.length} problems): ${shown.join("; ")}${more}`, {
      status: 422,
      details: { errors: errors.map((e) => e.toJSON()) },
    });
    this.errors = errors;
  }
}

/** `batch_id` names a batch that is still in the queue. */
export class BatchIdInUseError extends AtelierError {
  constructor(batchId: string) {
    super("batch_id_in_use", `Batch id "${batchId}" is already in the queue; omit batch_id to get a new one`, {
      status: 409,
      details: { batch_id: batchId },
    });
  }
}

/** The error recorded on an item that was running when the process stopped. */
export class SessionInterruptedError extends AtelierError {
  constructor(itemId: number) {
    super(
      "session_interrupted",
      `Queue item ${itemId} was interrupted: the process running it stopped before it finished ` +
        "(set resume_interrupted: true to resume such items at start-up)",
      { status: 500, details: { item_id: itemId } },
    );
  }
}

/** A stored row that cannot be read back (a corrupt or foreign JSON column). */
export class QueueItemCorruptError extends AtelierError {
  constructor(itemId: number, column: string, reason: string) {
    super("queue_item_corrupt", `Queue item ${itemId}: column ${column} cannot be read: ${reason}`, {
      status: 500,
      details: { item_id: itemId, column },
    });
  }
}
