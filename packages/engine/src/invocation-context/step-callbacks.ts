import {
  CanceledError,
  LATENT_SCALE_FACTOR,
  latentsToPreview,
  stepPercentage,
  TensorError,
  type BaseModelType,
  type ImageSize,
  type PipelineIntermediateState,
  type RawImage,
  type Tensor,
} from "@atelier/core";

/** Where a step callback reports to. */
export interface StepReporter {
  isCanceled(): boolean;
  signalProgress(message: string, percentage: number | null, image: RawImage | null, imageSize: ImageSize | null): void;
}

function withBatchDimension(latents: Tensor): Tensor {
  // FLUX nodes unpack and squeeze their latents before calling back: [C, H, W].
  if (latents.shape.length === 3) return { ...latents, shape: [1, ...latents.shape] };
  return latents;
}

/**
 * InvokeAI's diffusion step callback: stops a canceled run (CanceledError), else previews the predicted original
 * (or the latents) with the base model's latent→RGB approximation and reports "Denoising" with the step fraction
 * (halves counted for second-order schedulers), shown at 8× the latent size.
 */
export function diffusionStepCallback(
  reporter: StepReporter,
  state: PipelineIntermediateState,
  base: BaseModelType | string,
): void {
  if (reporter.isCanceled()) throw new CanceledError();
  const sample = state.predictedOriginal ?? state.latents;
  if (sample === undefined || sample === null) {
    throw new TensorError("The step callback received no latents", { step: state.step });
  }
  const preview = latentsToPreview(withBatchDimension(sample), base);
  const percentage = stepPercentage(state.step, state.totalSteps, state.order);
  reporter.signalProgress("Denoising", percentage, preview, {
    width: preview.width * LATENT_SCALE_FACTOR,
    height: preview.height * LATENT_SCALE_FACTOR,
  });
}
