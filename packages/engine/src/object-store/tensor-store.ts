import {
  assertEncodableTensor,
  cloneTensor,
  decodeSafetensors,
  encodeSafetensorsInto,
  type Tensor,
} from "@atelier/core";
import { ObjectStore, type ObjectCodec, type ObjectStoreOptions } from "./object-store.js";

// The one tensor in each file, and a format marker so that a file is recognisable outside Atelier.
const TENSOR_KEY = "tensor";
const FORMAT = { format: "atelier.tensor" };

/** Encodes a tensor as a one-entry safetensors file. */
export const tensorCodec: ObjectCodec<Tensor> = {
  validate: (tensor) => assertEncodableTensor(TENSOR_KEY, tensor),
  encode: (tensor, allocate) => {
    const { bytes, tensors } = encodeSafetensorsInto({ [TENSOR_KEY]: tensor }, FORMAT, allocate);
    return { bytes, value: tensors[TENSOR_KEY] as Tensor };
  },
  decode: (bytes) => {
    const { tensors } = decodeSafetensors(bytes, { copy: false });
    const tensor = tensors[TENSOR_KEY];
    if (tensor === undefined) throw new Error(`the safetensors file has no "${TENSOR_KEY}" entry`);
    return tensor;
  },
  clone: (tensor) => cloneTensor(tensor),
  byteSize: (tensor) => tensor.data.byteLength,
};

/** Tensors saved by nodes (`Tensor_<uuid>`), as safetensors files under `tensors/`, kept across restarts. */
export class TensorStore extends ObjectStore<Tensor> {
  constructor(options: ObjectStoreOptions) {
    super({ kind: "Tensor", folder: "tensors" }, tensorCodec, options);
  }
}
