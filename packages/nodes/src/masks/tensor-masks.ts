import { createTensor, toFloat32, type RawImage, type Tensor } from "@atelier/core";
import { ImageOperationError } from "../image-ops/image-op-error.js";
import type { MutableRawImage } from "../image-ops/image-buffers.js";

/** A boolean mask tensor [1, height, width] (one byte per element, 0 or 1). */
export type MaskTensor = Tensor<"bool">;

/** Python's slice bounds for `[start:stop]` on a sequence of `length` (negative indices count from the end). */
export function pythonSliceBounds(start: number, stop: number, length: number): [number, number] {
  const norm = (v: number) => (v < 0 ? Math.max(0, v + length) : Math.min(v, length));
  const s = norm(start);
  const e = norm(stop);
  return [s, Math.max(s, e)];
}

/** InvokeAI's rectangle_mask: False everywhere, True on `[y_top:y_top+h, x_left:x_left+w]` (Python slicing). */
export function rectangleMask(
  width: number,
  height: number,
  xLeft: number,
  yTop: number,
  rectWidth: number,
  rectHeight: number,
): MaskTensor {
  if (width < 0 || height < 0) {
    throw new ImageOperationError("invalid_mask_size", `rectangle mask: size ${width}x${height} has a negative side`, {
      width,
      height,
    });
  }
  const mask = createTensor("bool", [1, height, width]);
  const [y0, y1] = pythonSliceBounds(yTop, yTop + rectHeight, height);
  const [x0, x1] = pythonSliceBounds(xLeft, xLeft + rectWidth, width);
  for (let y = y0; y < y1; y++) mask.data.fill(1, y * width + x0, y * width + x1);
  return mask;
}

/** The mask of a tensor as [height, width] booleans: a leading 1-channel dimension is dropped, non-bool values > 0.5. */
export function binaryMask(tensor: Tensor, operation: string): { width: number; height: number; data: Uint8Array } {
  let shape = tensor.shape;
  if (shape.length === 3) {
    if (shape[0] !== 1) {
      throw new ImageOperationError(
        "invalid_mask_tensor",
        `${operation}: a 3-D mask must have one channel, got shape [${shape.join(", ")}]`,
        {
          shape,
        },
      );
    }
    shape = shape.slice(1);
  }
  if (shape.length !== 2) {
    throw new ImageOperationError(
      "invalid_mask_tensor",
      `${operation}: a mask must be 2-D or [1, H, W], got shape [${tensor.shape.join(", ")}]`,
      {
        shape: tensor.shape,
      },
    );
  }
  const [height, width] = shape;
  const n = width * height;
  const data = new Uint8Array(n);
  if (tensor.dtype === "bool") {
    const src = tensor.data as Uint8Array;
    for (let i = 0; i < n; i++) data[i] = src[i] ? 1 : 0;
  } else if (tensor.dtype === "int64") {
    const src = tensor.data as BigInt64Array;
    for (let i = 0; i < n; i++) data[i] = src[i] > 0n ? 1 : 0;
  } else {
    const src = toFloat32(tensor).data;
    for (let i = 0; i < n; i++) data[i] = src[i] > 0.5 ? 1 : 0;
  }
  return { width, height, data };
}

/** InvokeAI's invert_tensor_mask: the mask must be boolean, 2-D or [1, H, W]; the result is [1, H, W]. */
export function invertMask(tensor: Tensor): MaskTensor {
  if (tensor.dtype !== "bool") {
    throw new ImageOperationError(
      "invalid_mask_tensor",
      `invert mask: the mask must be a bool tensor, got ${tensor.dtype}`,
      { dtype: tensor.dtype },
    );
  }
  const { width, height, data } = binaryMask(tensor, "invert mask");
  const out = createTensor("bool", [1, height, width]);
  for (let i = 0; i < data.length; i++) out.data[i] = data[i] ? 0 : 1;
  return out;
}

/** InvokeAI's alpha_mask_to_tensor: True where alpha > 0 (or == 0 when inverted); the image must be RGBA. */
export function alphaMaskToTensor(image: RawImage, invert: boolean): MaskTensor {
  if (image.mode !== "RGBA") {
    throw new ImageOperationError(
      "image_mode_unsupported",
      `alpha mask to tensor: the image must be RGBA (it reads band 3), got ${image.mode}`,
      {
        mode: image.mode,
      },
    );
  }
  const n = image.width * image.height;
  const out = createTensor("bool", [1, image.height, image.width]);
  for (let i = 0; i < n; i++) {
    const a = image.data[i * 4 + 3];
    out.data[i] = (invert ? a === 0 : a > 0) ? 1 : 0;
  }
  return out;
}

/** InvokeAI's image_mask_to_tensor on an L image: True where v < cutoff (v >= cutoff when inverted). */
export function greyMaskToTensor(image: RawImage, cutoff: number, invert: boolean): MaskTensor {
  if (image.mode !== "L")
    throw new ImageOperationError(
      "image_mode_unsupported",
      `image mask to tensor: expected an L image, got ${image.mode}`,
      {},
    );
  const out = createTensor("bool", [1, image.height, image.width]);
  for (let i = 0; i < image.data.length; i++) {
    const v = image.data[i];
    out.data[i] = (invert ? v >= cutoff : v < cutoff) ? 1 : 0;
  }
  return out;
}

/** InvokeAI's tensor_mask_to_image: 255 where the mask is set, as an L image. */
export function maskTensorToImage(tensor: Tensor): MutableRawImage {
  const { width, height, data } = binaryMask(tensor, "tensor mask to image");
  return { width, height, mode: "L", data: data.map((v) => v * 255) };
}

/**
 * InvokeAI's apply_tensor_mask_to_image: the image as RGBA whose alpha becomes the mask (255/0, inverted on request)
 * wherever the alpha was not already 0.
 */
export function applyMaskTensorToImage(image: RawImage, tensor: Tensor, invert: boolean): MutableRawImage {
  if (image.mode !== "RGBA")
    throw new ImageOperationError(
      "image_mode_unsupported",
      `apply tensor mask: expected an RGBA image, got ${image.mode}`,
      {},
    );
  const mask = binaryMask(tensor, "apply tensor mask");
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `apply tensor mask: the mask is ${mask.width}x${mask.height} but the image is ${image.width}x${image.height}`,
      { mask: [mask.width, mask.height], image: [image.width, image.height] },
    );
  }
  const out = new Uint8Array(image.data);
  for (let i = 0; i < mask.data.length; i++) {
    const a = out[i * 4 + 3];
    if (a > 0) out[i * 4 + 3] = (mask.data[i] ? 255 : 0) ^ (invert ? 255 : 0);
  }
  return { width: image.width, height: image.height, mode: "RGBA", data: out };
}

/** A box with inclusive maxima, as InvokeAI's get_image_mask_bounding_box reports it. */
export interface MaskBox {
  readonly x_min: number;
  readonly y_min: number;
  readonly x_max: number;
  readonly y_max: number;
}

/**
 * InvokeAI's get_image_mask_bounding_box: the box of the pixels equal to `color` (all four RGBA components) in the
 * RGBA image, grown by `margin` and clamped to [0, size]; all zeros when no pixel matches. The maxima are the last
 * matching column/row (InvokeAI does not add 1).
 */
export function maskColorBoundingBox(
  image: RawImage,
  color: readonly [number, number, number, number],
  margin: number,
): MaskBox {
  if (image.mode !== "RGBA")
    throw new ImageOperationError(
      "image_mode_unsupported",
      `mask bounding box: expected an RGBA image, got ${image.mode}`,
      {},
    );
  let left = Infinity;
  let top = Infinity;
  let right = -1;
  let bottom = -1;
  const d = image.data;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const p = (y * image.width + x) * 4;
      if (d[p] === color[0] && d[p + 1] === color[1] && d[p + 2] === color[2] && d[p + 3] === color[3]) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        bottom = y;
      }
    }
  }
  if (right < 0) return { x_min: 0, y_min: 0, x_max: 0, y_max: 0 };
  return {
    x_min: Math.max(0, left - margin),
    y_min: Math.max(0, top - margin),
    x_max: Math.min(image.width, right + margin),
    y_max: Math.min(image.height, bottom + margin),
  };
}
