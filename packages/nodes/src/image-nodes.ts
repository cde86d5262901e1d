/**
 * The built-in image nodes: image operations, masks, tiles, infill and composition, with InvokeAI's type ids.
 */
import {
  BlankImageInvocation,
  ImageCropInvocation,
  ImagePasteInvocation,
  ImageResizeInvocation,
  ImageScaleInvocation,
} from "./image/image-geometry-nodes.js";
import { ImageBlurInvocation, UnsharpMaskInvocation } from "./image/image-filter-nodes.js";
import {
  ImageChannelInvocation,
  ImageChannelMultiplyInvocation,
  ImageChannelOffsetInvocation,
  ImageConvertInvocation,
  ImageHueAdjustmentInvocation,
  ImageInverseLerpInvocation,
  ImageLerpInvocation,
  ImageMultiplyInvocation,
} from "./image/image-channel-nodes.js";
import { SaveImageInvocation, ShowImageInvocation } from "./image/image-io-nodes.js";
import {
  ApplyMaskToImageInvocation,
  ExpandMaskWithFadeInvocation,
  MaskCombineInvocation,
  MaskEdgeInvocation,
  MaskFromAlphaInvocation,
  MaskFromIDInvocation,
} from "./masks/image-mask-nodes.js";
import { CanvasPasteBackInvocation } from "./image/canvas-paste-back-node.js";
import { ImageNoiseInvocation } from "./image/image-noise-node.js";
import { ColorCorrectInvocation } from "./image/color-correct-node.js";
import {
  InvokeAdjustImageHuePlusInvocation,
  InvokeEquivalentAchromaticLightnessInvocation,
  InvokeImageBlendInvocation,
  InvokeImageCompositorInvocation,
  InvokeImageDilateOrErodeInvocation,
  InvokeImageEnhanceInvocation,
  InvokeImageValueThresholdsInvocation,
} from "./composition/composition-nodes.js";
import {
  CannyEdgeDetectionInvocation,
  ColorMapInvocation,
  ContentShuffleInvocation,
} from "./image/controlnet-preprocessor-nodes.js";
import { CropImageToBoundingBoxInvocation, PasteImageIntoBoundingBoxInvocation } from "./image/bounding-box-nodes.js";
import { ImagePanelLayoutInvocation } from "./image/image-panel-layout-node.js";
import {
  AlphaMaskToTensorInvocation,
  ApplyMaskTensorToImageInvocation,
  GetMaskBoundingBoxInvocation,
  ImageMaskToTensorInvocation,
  InvertTensorMaskInvocation,
  MaskTensorToImageInvocation,
  RectangleMaskInvocation,
} from "./masks/tensor-mask-nodes.js";
import {
  CalculateImageTilesEvenSplitInvocation,
  CalculateImageTilesInvocation,
  CalculateImageTilesMinimumOverlapInvocation,
  MergeTilesToImageInvocation,
  PairTileImageInvocation,
  TileToPropertiesInvocation,
} from "./tiles/tile-nodes.js";
import { CV2InfillInvocation, InfillColorInvocation, InfillTileInvocation } from "./infill/infill-nodes.js";

export * from "./image/image-geometry-nodes.js";
export * from "./image/image-filter-nodes.js";
export * from "./image/image-channel-nodes.js";
export * from "./image/image-io-nodes.js";
export { ImageNodeError } from "./image/image-node-helpers.js";
export * from "./image/bounding-box-nodes.js";
export * from "./image/image-panel-layout-node.js";
export * from "./image/canvas-paste-back-node.js";
export * from "./image/image-noise-node.js";
export * from "./image/color-correct-node.js";
export * from "./composition/composition-nodes.js";
export * from "./image/controlnet-preprocessor-nodes.js";
export * from "./masks/image-mask-nodes.js";
export * from "./masks/mask-output.js";
export * from "./masks/tensor-mask-nodes.js";
export * from "./tiles/tile-nodes.js";
export * from "./tiles/tile-types.js";
export * from "./infill/infill-nodes.js";

/** Every image node definition, for registration. */
export const IMAGE_NODES = [
  ShowImageInvocation,
  SaveImageInvocation,
  BlankImageInvocation,
  ImageCropInvocation,
  ImagePasteInvocation,
  ImageResizeInvocation,
  ImageScaleInvocation,
  ImageBlurInvocation,
  UnsharpMaskInvocation,
  ImageChannelInvocation,
  ImageConvertInvocation,
  ImageMultiplyInvocation,
  ImageLerpInvocation,
  ImageInverseLerpInvocation,
  ImageNoiseInvocation,
  ImageHueAdjustmentInvocation,
  ImageChannelOffsetInvocation,
  ImageChannelMultiplyInvocation,
  ColorCorrectInvocation,
  CropImageToBoundingBoxInvocation,
  PasteImageIntoBoundingBoxInvocation,
  ImagePanelLayoutInvocation,
  CanvasPasteBackInvocation,
  CannyEdgeDetectionInvocation,
  ColorMapInvocation,
  ContentShuffleInvocation,
  MaskFromAlphaInvocation,
  MaskEdgeInvocation,
  ExpandMaskWithFadeInvocation,
  MaskCombineInvocation,
  MaskFromIDInvocation,
  ApplyMaskToImageInvocation,
  RectangleMaskInvocation,
  AlphaMaskToTensorInvocation,
  InvertTensorMaskInvocation,
  ImageMaskToTensorInvocation,
  MaskTensorToImageInvocation,
  ApplyMaskTensorToImageInvocation,
  GetMaskBoundingBoxInvocation,
  CalculateImageTilesInvocation,
  CalculateImageTilesEvenSplitInvocation,
  CalculateImageTilesMinimumOverlapInvocation,
  TileToPropertiesInvocation,
  PairTileImageInvocation,
  MergeTilesToImageInvocation,
  InfillColorInvocation,
  InfillTileInvocation,
  CV2InfillInvocation,
  InvokeImageEnhanceInvocation,
  InvokeImageValueThresholdsInvocation,
  InvokeImageDilateOrErodeInvocation,
  InvokeImageCompositorInvocation,
  InvokeImageBlendInvocation,
  InvokeAdjustImageHuePlusInvocation,
  InvokeEquivalentAchromaticLightnessInvocation,
] as const;
