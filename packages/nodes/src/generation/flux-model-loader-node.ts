/**
 * `flux_model_loader`: splits a FLUX main model into the transformer, CLIP, T5 and VAE fields later nodes load.
 * Standalone T5 / CLIP-embed / VAE models are used when given; a pipeline folder (diffusers or ONNX export) that
 * carries its own text encoders and VAE supplies them otherwise.
 */
import {
  CLIPField,
  defineInvocation,
  defineOutput,
  InputField,
  ModelIdentifierField,
  OutputField,
  T5EncoderField,
  TransformerField,
  VAEField,
  z,
  type ModelConfigRecord,
  type ModelIdentifierFieldValue,
} from "@atelier/core";
import { failField } from "../logic/field-errors.js";
import { submodelOf } from "./model-loader-nodes.js";

/** T5 sequence length by FLUX variant: schnell was trained with 256 tokens, dev with 512. */
export const FLUX_MAX_SEQ_LEN = { schnell: 256, dev: 512 } as const;

/** `flux_model_loader_output`: `{transformer, clip, t5_encoder, vae, max_seq_len}`. */
export const FluxModelLoaderOutput = defineOutput({
  type: "flux_model_loader_output",
  description: "Flux base model loader output",
  fields: {
    transformer: OutputField(TransformerField, { title: "Transformer", description: "Transformer" }),
    clip: OutputField(CLIPField, {
      title: "CLIP",
      description: "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count",
    }),
    t5_encoder: OutputField(T5EncoderField, { title: "T5 Encoder", description: "T5 tokenizer and text encoder" }),
    vae: OutputField(VAEField, { title: "VAE", description: "VAE" }),
    max_seq_len: OutputField(z.literal([256, 512]), {
      title: "Max Seq Length",
      description:
        "The max sequence length to used for the T5 encoder. (256 for schnell transformer, 512 for dev transformer)",
    }),
  },
});

// Pipeline folders hold every part; single-file checkpoints hold the transformer only.
const PIPELINE_FORMATS = new Set(["diffusers", "onnx"]);

/** `flux_model_loader`: the transformer of a FLUX main model plus T5, CLIP and VAE, by identifier. */
export const FluxModelLoaderInvocation = defineInvocation({
  type: "flux_model_loader",
  title: "Main Model - FLUX",
  tags: ["model", "flux"],
  category: "model",
  version: "1.1.0",
  description: "Loads a flux base model, outputting its submodels.",
  inputs: {
    model: InputField(ModelIdentifierField, {
      description: "Flux model (Transformer) to load",
      ui_model_base: "flux",
      ui_model_type: "main",
    }),
    t5_encoder_model: InputField(ModelIdentifierField.nullable(), {
      default: null,
      title: "T5 Encoder",
      description: "T5 tokenizer and text encoder",
      ui_model_type: "t5_encoder",
    }),
    clip_embed_model: InputField(ModelIdentifierField.nullable(), {
      default: null,
      title: "CLIP Embed",
      description: "CLIP Embed loader",
      ui_model_type: "clip_embed",
    }),
    vae_model: InputField(ModelIdentifierField.nullable(), {
      default: null,
      title: "VAE",
      description: "VAE model to load",
      ui_model_base: "flux",
      ui_model_type: "vae",
    }),
  },
  output: FluxModelLoaderOutput,
  async invoke(context) {
    const model = this.model;
    const given: [string, ModelIdentifierFieldValue | null][] = [
      ["model", model],
      ["t5_encoder_model", this.t5_encoder_model],
      ["clip_embed_model", this.clip_embed_model],
      ["vae_model", this.vae_model],
    ];
    for (const [field, identifier] of given) {
      if (identifier !== null && !(await context.models.exists(identifier.key)))
        failField(this, field, `names no installed model (key ${identifier.key})`, identifier);
    }
    const config: ModelConfigRecord = await context.models.getConfig(model);
    if (config.base !== "flux" || config.type !== "main")
      failField(this, "model", `is a ${config.base} ${config.type} model; a FLUX main model is needed`, model);
    const pipeline = PIPELINE_FORMATS.has(config.format);
    const fromPipeline = (field: string, what: string): ModelIdentifierFieldValue => {
      if (!pipeline) {
        failField(
          this,
          field,
          `is required: model ${model.name} is a ${config.format} file without its own ${what}`,
          null,
        );
      }
      return model;
    };
    const t5 = this.t5_encoder_model ?? fromPipeline("t5_encoder_model", "T5 encoder");
    const clip = this.clip_embed_model ?? fromPipeline("clip_embed_model", "CLIP text encoder");
    const vae = this.vae_model ?? fromPipeline("vae_model", "VAE");
    // A T5 encoder model keeps its parts as tokenizer_2/text_encoder_2, like a pipeline does.
    return {
      transformer: { transformer: submodelOf(model, "transformer"), loras: [] },
      clip: {
        tokenizer: submodelOf(clip, "tokenizer"),
        text_encoder: submodelOf(clip, "text_encoder"),
        skipped_layers: 0,
        loras: [],
      },
      t5_encoder: {
        tokenizer: submodelOf(t5, "tokenizer_2"),
        text_encoder: submodelOf(t5, "text_encoder_2"),
        loras: [],
      },
      vae: { vae: submodelOf(vae, "vae"), seamless_axes: [] },
      max_seq_len: config.variant === "schnell" ? FLUX_MAX_SEQ_LEN.schnell : FLUX_MAX_SEQ_LEN.dev,
    };
  },
});
