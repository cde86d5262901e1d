import {
  AtelierError,
  type ImageDTO,
  type ImageMode,
  type InvocationContext,
  type RawImage,
  type SaveImageOptions,
  type Tensor,
} from "@atelier/core";

/**
 * A node could not do its work with the values it got: the message names the node type, its id and the field,
 * then the problem. The code of the underlying operation error (e.g. `image_size_mismatch`) is kept.
 */
export class ImageNodeError extends AtelierError {
  constructor(
    nodeType: string,
    nodeId: string,
    field: string | null,
    problem: string,
    code = "image_node_invalid",
    details: Record<string, unknown> = {},
  ) {
    const where = field === null ? "" : `: field ${field}`;
    super(code, `Node ${nodeType} (id ${JSON.stringify(nodeId)})${where}: ${problem}`, {
      status: 422,
      details: { ...details, node_type: nodeType, node_id: nodeId, ...(field === null ? {} : { field }) },
    });
  }
}

/** The attributes every node's `this` has, which error messages name. */
export interface NodeIdentity {
  readonly id: string;
  readonly type: string;
}

/**
 * Runs an image operation for a node and turns any typed error it raises into an ImageNodeError naming the node
 * and `field` (the input the problem traces back to), so users see where to look.
 */
export function forField<T>(node: NodeIdentity, field: string | null, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof AtelierError && !(err instanceof ImageNodeError)) {
      throw new ImageNodeError(node.type, node.id, field, err.message, err.code, err.details);
    }
    throw err;
  }
}

/** Throws an ImageNodeError for `field` unless `ok`. */
export function requireField(
  node: NodeIdentity,
  field: string,
  ok: boolean,
  problem: string,
  details: Record<string, unknown> = {},
): void {
  if (!ok) throw new ImageNodeError(node.type, node.id, field, problem, "image_node_invalid", details);
}

/** Loads an image input (optionally converted to `mode`); a missing image is reported against the field. */
export async function loadImage(
  context: InvocationContext,
  node: NodeIdentity,
  field: string,
  image: { readonly image_name: string },
  mode?: ImageMode,
): Promise<RawImage> {
  try {
    return await context.images.getImage(image.image_name, mode);
  } catch (err) {
    if (err instanceof AtelierError) {
      throw new ImageNodeError(
        node.type,
        node.id,
        field,
        `cannot load image ${JSON.stringify(image.image_name)}: ${err.message}`,
        err.code,
        {
          image_name: image.image_name,
        },
      );
    }
    throw err;
  }
}

/** Loads a tensor input; a missing tensor is reported against the field. */
export async function loadTensor(
  context: InvocationContext,
  node: NodeIdentity,
  field: string,
  tensor: { readonly tensor_name: string },
): Promise<Tensor> {
  try {
    return await context.tensors.load(tensor.tensor_name);
  } catch (err) {
    if (err instanceof AtelierError) {
      throw new ImageNodeError(
        node.type,
        node.id,
        field,
        `cannot load tensor ${JSON.stringify(tensor.tensor_name)}: ${err.message}`,
        err.code,
        {
          tensor_name: tensor.tensor_name,
        },
      );
    }
    throw err;
  }
}

/** Saves a result image and returns the ImageOutput fields for it. */
export async function saveImageOutput(
  context: InvocationContext,
  image: RawImage,
  options?: SaveImageOptions,
): Promise<{ image: { image_name: string }; width: number; height: number }> {
  const dto: ImageDTO = await context.images.save(image, options);
  return { image: { image_name: dto.image_name }, width: dto.width, height: dto.height };
}
