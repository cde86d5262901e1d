/**
 * The workflows Atelier ships in its library (category `default`), in InvokeAI's workflow format. Each exposes
 * the fields a user sets when running it headlessly (a field left `undefined` has no value until the user gives
 * one): `atelier run text_to_image_sd15 --set model.model=<name>
 * --set positive.prompt="…"`, or `POST /api/v1/workflows/i/{id}/run`.
 */
import { buildWorkflow, type DefaultWorkflowDocument } from "./workflow-builder.js";

/** SD1.5/SD2 text to image: loader → prompts → noise → denoise → decode. */
export const TEXT_TO_IMAGE_SD15 = buildWorkflow({
  id: "text_to_image_sd15",
  name: "Text to Image - SD1.5",
  description: "Generate an image from a prompt with an SD1.5 or SD2 main model.",
  tags: "text2image, SD1.5, SD2, default",
  nodes: {
    model: { type: "main_model_loader", version: "1.0.4", label: "Model", inputs: { model: undefined } },
    positive: { type: "compel", version: "1.2.1", label: "Positive Prompt", inputs: { prompt: "" } },
    negative: { type: "compel", version: "1.2.1", label: "Negative Prompt", inputs: { prompt: "" } },
    noise: {
      type: "noise",
      version: "1.1.0",
      inputs: { seed: 0, width: 512, height: 512, use_cpu: true },
    },
    denoise: {
      type: "denoise_latents",
      version: "1.6.0",
      inputs: { steps: 30, cfg_scale: 7.5, scheduler: "euler", denoising_start: 0, denoising_end: 1 },
    },
    decode: { type: "l2i", version: "1.3.2", label: "Image", inputs: { fp32: true } },
  },
  edges: [
    "model.clip -> positive.clip",
    "model.clip -> negative.clip",
    "model.unet -> denoise.unet",
    "model.vae -> decode.vae",
    "positive.conditioning -> denoise.positive_conditioning",
    "negative.conditioning -> denoise.negative_conditioning",
    "noise.noise -> denoise.noise",
    "denoise.latents -> decode.latents",
  ],
  exposed: [
    "model.model",
    "positive.prompt",
    "negative.prompt",
    "noise.seed",
    "noise.width",
    "noise.height",
    "denoise.steps",
    "denoise.cfg_scale",
    "denoise.scheduler",
  ],
});

/**
 * SD1.5/SD2 image to image: the image is encoded, noised to `denoise.denoising_start` (1 − strength) and
 * denoised from there; the noise takes the image's size.
 */
export const IMAGE_TO_IMAGE_SD15 = buildWorkflow({
  id: "image_to_image_sd15",
  name: "Image to Image - SD1.5",
  description: "Re-imagine an image from a prompt with an SD1.5 or SD2 main model.",
  tags: "image2image, SD1.5, SD2, default",
  nodes: {
    model: { type: "main_model_loader", version: "1.0.4", label: "Model", inputs: { model: undefined } },
    positive: { type: "compel", version: "1.2.1", label: "Positive Prompt", inputs: { prompt: "" } },
    negative: { type: "compel", version: "1.2.1", label: "Negative Prompt", inputs: { prompt: "" } },
    image: { type: "image", version: "1.0.2", label: "Initial Image", inputs: { image: undefined } },
    encode: { type: "i2l", version: "1.2.0", inputs: { fp32: true } },
    noise: { type: "noise", version: "1.1.0", inputs: { seed: 0, use_cpu: true } },
    denoise: {
      type: "denoise_latents",
      version: "1.6.0",
      inputs: { steps: 30, cfg_scale: 7.5, scheduler: "euler", denoising_start: 0.3, denoising_end: 1 },
    },
    decode: { type: "l2i", version: "1.3.2", label: "Image", inputs: { fp32: true } },
  },
  edges: [
    "model.clip -> positive.clip",
    "model.clip -> negative.clip",
    "model.unet -> denoise.unet",
    "model.vae -> encode.vae",
    "model.vae -> decode.vae",
    "image.image -> encode.image",
    "image.width -> noise.width",
    "image.height -> noise.height",
    "encode.latents -> denoise.latents",
    "positive.conditioning -> denoise.positive_conditioning",
    "negative.conditioning -> denoise.negative_conditioning",
    "noise.noise -> denoise.noise",
    "denoise.latents -> decode.latents",
  ],
  exposed: [
    "model.model",
    "image.image",
    "positive.prompt",
    "negative.prompt",
    "noise.seed",
    "denoise.denoising_start",
    "denoise.steps",
    "denoise.cfg_scale",
    "denoise.scheduler",
  ],
});

/** SDXL text to image: both text encoders feed each prompt (prompt and style), then denoise and decode. */
export const TEXT_TO_IMAGE_SDXL = buildWorkflow({
  id: "text_to_image_sdxl",
  name: "Text to Image - SDXL",
  description: "Generate an image from a prompt with an SDXL main model.",
  tags: "text2image, SDXL, default",
  nodes: {
    model: { type: "sdxl_model_loader", version: "1.0.4", label: "Model", inputs: { model: undefined } },
    positive: {
      type: "sdxl_compel_prompt",
      version: "1.2.1",
      label: "Positive Prompt",
      inputs: {
        prompt: "",
        style: "",
        original_width: 1024,
        original_height: 1024,
        target_width: 1024,
        target_height: 1024,
      },
    },
    negative: {
      type: "sdxl_compel_prompt",
      version: "1.2.1",
      label: "Negative Prompt",
      inputs: {
        prompt: "",
        style: "",
        original_width: 1024,
        original_height: 1024,
        target_width: 1024,
        target_height: 1024,
      },
    },
    noise: { type: "noise", version: "1.1.0", inputs: { seed: 0, width: 1024, height: 1024, use_cpu: true } },
    denoise: {
      type: "denoise_latents",
      version: "1.6.0",
      inputs: { steps: 30, cfg_scale: 6, scheduler: "euler", denoising_start: 0, denoising_end: 1 },
    },
    decode: { type: "l2i", version: "1.3.2", label: "Image", inputs: { fp32: true } },
  },
  edges: [
    "model.clip -> positive.clip",
    "model.clip2 -> positive.clip2",
    "model.clip -> negative.clip",
    "model.clip2 -> negative.clip2",
    "model.unet -> denoise.unet",
    "model.vae -> decode.vae",
    "positive.conditioning -> denoise.positive_conditioning",
    "negative.conditioning -> denoise.negative_conditioning",
    "noise.noise -> denoise.noise",
    "denoise.latents -> decode.latents",
  ],
  exposed: [
    "model.model",
    "positive.prompt",
    "positive.style",
    "negative.prompt",
    "noise.seed",
    "noise.width",
    "noise.height",
    "denoise.steps",
    "denoise.cfg_scale",
    "denoise.scheduler",
  ],
});

/** FLUX text to image: CLIP + T5 conditioning, the FLUX denoiser (it makes its own noise from the seed), decode. */
export const TEXT_TO_IMAGE_FLUX = buildWorkflow({
  id: "text_to_image_flux",
  name: "Text to Image - FLUX",
  description: "Generate an image from a prompt with a FLUX main model (its own text encoders and VAE unless given).",
  tags: "text2image, FLUX, default",
  nodes: {
    model: { type: "flux_model_loader", version: "1.1.0", label: "Model", inputs: { model: undefined } },
    prompt: { type: "flux_text_encoder", version: "1.1.2", label: "Prompt", inputs: { prompt: "" } },
    denoise: {
      type: "flux_denoise",
      version: "4.6.0",
      inputs: { num_steps: 4, guidance: 4, seed: 0, width: 1024, height: 1024, denoising_start: 0, denoising_end: 1 },
    },
    decode: { type: "flux_vae_decode", version: "1.0.2", label: "Image" },
  },
  edges: [
    "model.clip -> prompt.clip",
    "model.t5_encoder -> prompt.t5_encoder",
    "model.max_seq_len -> prompt.t5_max_seq_len",
    "model.transformer -> denoise.transformer",
    "model.vae -> decode.vae",
    "prompt.conditioning -> denoise.positive_text_conditioning",
    "denoise.latents -> decode.latents",
  ],
  exposed: [
    "model.model",
    "prompt.prompt",
    "denoise.seed",
    "denoise.width",
    "denoise.height",
    "denoise.num_steps",
    "denoise.guidance",
  ],
});

/** Every workflow the library ships. */
export const DEFAULT_WORKFLOWS: readonly DefaultWorkflowDocument[] = [
  TEXT_TO_IMAGE_SD15,
  IMAGE_TO_IMAGE_SD15,
  TEXT_TO_IMAGE_SDXL,
  TEXT_TO_IMAGE_FLUX,
];
