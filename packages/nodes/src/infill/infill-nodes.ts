/**
 * InvokeAI's infill nodes (`invocations/infill.py`): fill the transparent parts of an RGBA image with a colour, with
 * tiles of the image, or by Telea inpainting. An image without alpha is passed on unchanged, as in InvokeAI.
 */
import {
  ColorField,
  defineInvocation,
  ImageField,
  ImageOutput,
  InputField,
  WithBoard,
  WithMetadata,
  z,
  type InvocationContext,
  type RawImage,
} from "@atelier/core";
import { inpaintTelea } from "../image-ops/telea-inpaint.js";
import { forField, loadImage, saveImageOutput, type NodeIdentity } from "../image/image-node-helpers.js";
import { infillSolidColor, infillTiles } from "./infill-methods.js";

/** Runs an infill on an RGBA input; other modes return the input image itself (no new image is stored). */
async function runInfill(
  context: InvocationContext,
  node: NodeIdentity & { readonly image: { readonly image_name: string } },
  infill: (image: RawImage) => RawImage,
) {
  const image = await loadImage(context, node, "image", node.image);
  if (image.mode !== "RGBA") {
    const dto = await context.images.getDto(node.image.image_name);
    return { image: { image_name: dto.image_name }, width: dto.width, height: dto.height };
  }
  return saveImageOutput(context, infill(image));
}

/** `infill_rgba`: transparent areas become a solid colour. */
export const InfillColorInvocation = defineInvocation({
  type: "infill_rgba",
  schemaName: "InfillColorInvocation",
  title: "Solid Color Infill",
  tags: ["image", "inpaint"],
  category: "inpaint",
  version: "1.2.2",
  description: "Infills transparent areas of an image with a solid color",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to process" }),
    color: InputField(ColorField, {
      default: { r: 127, g: 127, b: 127, a: 255 },
      description: "The color to use to infill",
    }),
  },
  output: ImageOutput,
  invoke(context) {
    const { r, g, b, a } = this.color;
    return runInfill(context, this, (image) => infillSolidColor(image, [r, g, b, a]));
  },
});

/** `infill_tile`: transparent areas become random opaque tiles of the image (seeded like NumPy's default_rng). */
export const InfillTileInvocation = defineInvocation({
  type: "infill_tile",
  title: "Tile Infill",
  tags: ["image", "inpaint"],
  category: "inpaint",
  version: "1.2.3",
  description: "Infills transparent areas of an image with tiles of the image",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to process" }),
    tile_size: InputField(z.number().int().gte(1), { default: 32, description: "The tile size (px)" }),
    seed: InputField(z.number().int().gte(0).lte(4294967295), {
      default: 0,
      description: "The seed to use for tile generation (omit for random)",
    }),
  },
  output: ImageOutput,
  invoke(context) {
    return runInfill(context, this, (image) =>
      forField(this, "tile_size", () => infillTiles(image, this.seed, this.tile_size)),
    );
  },
});

/** `infill_cv2`: transparent (alpha < 255) areas inpainted with Telea's method, radius 3; the result is RGB. */
export const CV2InfillInvocation = defineInvocation({
  type: "infill_cv2",
  schemaName: "CV2InfillInvocation",
  title: "CV2 Infill",
  tags: ["image", "inpaint"],
  category: "inpaint",
  version: "1.2.2",
  description: "Infills transparent areas of an image using OpenCV Inpainting",
  mixins: [WithMetadata, WithBoard],
  inputs: { image: InputField(ImageField, { description: "The image to process" }) },
  output: ImageOutput,
  invoke(context) {
    return runInfill(context, this, (image) => {
      const n = image.width * image.height;
      const rgb = new Uint8Array(n * 3);
      const hole = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        rgb[i * 3] = image.data[i * 4];
        rgb[i * 3 + 1] = image.data[i * 4 + 1];
        rgb[i * 3 + 2] = image.data[i * 4 + 2];
        hole[i] = image.data[i * 4 + 3] === 255 ? 0 : 1;
      }
      return inpaintTelea({ width: image.width, height: image.height, mode: "RGB", data: rgb }, hole, 3);
    });
  },
});
