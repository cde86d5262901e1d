import {
  cloneTensor,
  decodeSafetensors,
  encodeSafetensorsInto,
  type ConditioningFieldData,
  type Tensor,
} from "@atelier/core";
import { CONDITIONING_FIELDS, type ConditioningKind } from "./conditioning-data.js";
import type { ObjectCodec } from "./object-store.js";
import { InvalidConditioningError } from "./object-store-errors.js";

/** Safetensors metadata key holding the JSON layout of a conditioning file. */
export const CONDITIONING_HEADER_KEY = "atelier_conditioning";
const LAYOUT_VERSION = 1;

/** The JSON layout stored in the safetensors metadata: which tensor entry holds which field of which conditioning. */
interface ConditioningLayout {
  readonly version: number;
  /** One object per conditioning: its kind, and field name → tensor entry name (null for an absent optional field). */
  readonly conditionings: readonly {
    readonly kind: ConditioningKind;
    readonly tensors: Readonly<Record<string, string | null>>;
  }[];
}

// Core's info types are interfaces without index signatures; the codec walks them generically by field name.
type InfoRecord = Readonly<Record<string, unknown>> & { readonly kind?: unknown };

function infosOf(data: ConditioningFieldData): readonly InfoRecord[] {
  return data.conditionings as unknown as readonly InfoRecord[];
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === "object" && value !== null && "dtype" in value && "shape" in value && "data" in value;
}

function fieldsOf(kind: unknown, index: number): (typeof CONDITIONING_FIELDS)[ConditioningKind] {
  if (typeof kind !== "string" || !Object.hasOwn(CONDITIONING_FIELDS, kind)) {
    const known = Object.keys(CONDITIONING_FIELDS).join(", ");
    throw new InvalidConditioningError(
      `conditioning ${index} has unknown kind ${JSON.stringify(kind)}; expected one of ${known}`,
      { index, kind },
    );
  }
  return CONDITIONING_FIELDS[kind as ConditioningKind];
}

/** Checks that every conditioning has a known kind (one kind per list) and the tensors its kind requires. */
export function validateConditioningData(data: ConditioningFieldData): void {
  if (!Array.isArray(data?.conditionings))
    throw new InvalidConditioningError("conditioning data must have a conditionings list");
  const infos = infosOf(data);
  infos.forEach((info, index) => {
    const { required, optional } = fieldsOf(info?.kind, index);
    if (info.kind !== infos[0].kind) {
      throw new InvalidConditioningError(
        `conditioning ${index} is ${String(info.kind)} but conditioning 0 is ${String(infos[0].kind)}; a list holds one kind`,
        {
          index,
        },
      );
    }
    for (const field of required) {
      if (!isTensor(info[field])) {
        throw new InvalidConditioningError(
          `${String(info.kind)} conditioning ${index} has no tensor in field ${JSON.stringify(field)}`,
          {
            kind: info.kind,
            index,
            field,
          },
        );
      }
    }
    for (const field of optional) {
      const value = info[field];
      if (value !== null && value !== undefined && !isTensor(value)) {
        throw new InvalidConditioningError(
          `${String(info.kind)} conditioning ${index} field ${JSON.stringify(field)} must be a tensor or null`,
          {
            kind: info.kind,
            index,
            field,
          },
        );
      }
    }
  });
}

// Rebuilds the structure with each tensor passed through `map` (clone, measure…).
function mapTensors(data: ConditioningFieldData, map: (tensor: Tensor) => Tensor): ConditioningFieldData {
  const conditionings = infosOf(data).map((info) => {
    const kind = info.kind as ConditioningKind;
    const { required, optional } = CONDITIONING_FIELDS[kind];
    const out: Record<string, unknown> = { kind };
    for (const field of required) out[field] = map(info[field] as Tensor);
    for (const field of optional) {
      const value = info[field] as Tensor | null | undefined;
      out[field] = value === null || value === undefined ? null : map(value);
    }
    return out;
  });
  return { conditionings } as unknown as ConditioningFieldData;
}

/** Encodes a ConditioningFieldData as one safetensors file: every tensor an entry, the structure in the metadata. */
export const conditioningCodec: ObjectCodec<ConditioningFieldData> = {
  validate: (data) => validateConditioningData(data),

  encode(data, allocate) {
    const tensors: Record<string, Tensor> = {};
    const conditionings = infosOf(data).map((info, index) => {
      const kind = info.kind as ConditioningKind;
      const { required, optional } = CONDITIONING_FIELDS[kind];
      const entries: Record<string, string | null> = {};
      for (const field of [...required, ...optional]) {
        const value = info[field] as Tensor | null | undefined;
        if (value === null || value === undefined) {
          entries[field] = null;
        } else {
          entries[field] = `conditionings.${index}.${field}`;
          tensors[entries[field]] = value;
        }
      }
      return { kind, tensors: entries };
    });
    const layout: ConditioningLayout = { version: LAYOUT_VERSION, conditionings };
    const file = encodeSafetensorsInto(tensors, { [CONDITIONING_HEADER_KEY]: JSON.stringify(layout) }, allocate);
    // The same structure again, each tensor replaced by its view in the file.
    const value = {
      conditionings: conditionings.map(({ kind, tensors: entries }) => {
        const info: Record<string, unknown> = { kind };
        for (const [field, entry] of Object.entries(entries)) info[field] = entry === null ? null : file.tensors[entry];
        return info;
      }),
    } as unknown as ConditioningFieldData;
    return { bytes: file.bytes, value };
  },

  decode(bytes) {
    const { tensors, metadata } = decodeSafetensors(bytes, { copy: false });
    const text = metadata[CONDITIONING_HEADER_KEY];
    if (text === undefined) throw new InvalidConditioningError(`the file has no "${CONDITIONING_HEADER_KEY}" metadata`);
    const layout = JSON.parse(text) as Partial<ConditioningLayout>;
    if (layout.version !== LAYOUT_VERSION)
      throw new InvalidConditioningError(`unsupported conditioning layout version ${String(layout.version)}`);
    if (!Array.isArray(layout.conditionings))
      throw new InvalidConditioningError("the layout has no conditionings list");
    const conditionings = layout.conditionings.map((entry, index) => {
      const { required, optional } = fieldsOf(entry?.kind, index);
      const info: Record<string, unknown> = { kind: entry.kind };
      for (const field of [...required, ...optional]) {
        const name = entry.tensors?.[field];
        const tensor = typeof name === "string" ? tensors[name] : undefined;
        if (tensor !== undefined) info[field] = tensor;
        else if (optional.includes(field) && (name === null || name === undefined)) info[field] = null;
        else
          throw new InvalidConditioningError(
            `conditioning ${index} field ${JSON.stringify(field)} has no tensor in the file`,
            { index, field },
          );
      }
      return info;
    });
    const data = { conditionings } as unknown as ConditioningFieldData;
    validateConditioningData(data); // also refuses a file mixing kinds
    return data;
  },

  clone: (data) => mapTensors(data, cloneTensor),

  byteSize(data) {
    let bytes = 0;
    mapTensors(data, (tensor) => {
      bytes += tensor.data.byteLength;
      return tensor;
    });
    return bytes;
  },
};
