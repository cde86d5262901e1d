import type { BaseModelType } from "@atelier/core";
import {
  configClassName,
  invalid,
  match,
  noMatch,
  numberField,
  type IdentificationRule,
} from "../identification-rule.js";
import { safetensorsRule } from "./safetensors-rule.js";

// VAEs: a single file in LDM or diffusers key layout, or a diffusers folder (`config.json` of an AutoencoderKL).

/** The SD-family base of a 4-channel VAE, from its name (InvokeAI's filename rule): xl, sd2, else sd-1. */
function sdBaseFromName(name: string): BaseModelType {
  if (/xl/i.test(name)) return "sdxl";
  if (/sd2|sd-2|v2/i.test(name)) return "sd-2";
  return "sd-1";
}

/** Single-file VAE: `decoder.conv_in.weight` in-channels 16 → flux, 32 → flux2, 4 → SD family by name. */
export const vaeFileRule: IdentificationRule = safetensorsRule("VAE checkpoint", (keys, model) => {
  const prefix = keys.has("decoder.conv_in.weight")
    ? ""
    : keys.has("first_stage_model.decoder.conv_in.weight")
      ? "first_stage_model."
      : undefined;
  if (prefix === undefined || !keys.has(`${prefix}encoder.conv_in.weight`))
    return noMatch("no VAE encoder/decoder keys");
  // A whole SD checkpoint also has first_stage_model.*; it is a VAE only if nothing else is there.
  if (prefix !== "" && keys.anyStartsWith("model.diffusion_model.", "cond_stage_model.", "conditioner."))
    return noMatch("VAE keys inside a main model");
  const latent = keys.shape(`${prefix}decoder.conv_in.weight`)![1];
  if (latent === 16) return match({ type: "vae", format: "checkpoint", base: "flux" });
  if (latent === 32) return match({ type: "vae", format: "checkpoint", base: "flux2" });
  if (latent === 4) return match({ type: "vae", format: "checkpoint", base: sdBaseFromName(model.name) });
  return invalid(`VAE decoder takes ${latent} latent channels (expected 4, 16 or 32)`);
});

const VAE_CLASSES = new Set(["AutoencoderKL", "AutoencoderKLFlux2", "AutoencoderTiny"]);

/** Diffusers VAE folder: latent channels 16 → flux, 32 → flux2; SDXL by its scaling factor or name; else sd-1. */
export const vaeFolderRule: IdentificationRule = {
  name: "VAE (diffusers folder)",
  target: "folder",
  async identify(model) {
    const config = await model.readJson("config.json");
    const className = configClassName(config);
    if (className === undefined || !VAE_CLASSES.has(className)) return noMatch("config.json is not a VAE's");
    const latent = numberField(config, "latent_channels") ?? 4;
    let base: BaseModelType;
    if (latent === 16) base = "flux";
    else if (latent === 32) base = "flux2";
    else if (numberField(config, "scaling_factor") === 0.13025) base = "sdxl";
    else base = sdBaseFromName(model.name);
    return match({ type: "vae", format: "diffusers", base });
  },
};
