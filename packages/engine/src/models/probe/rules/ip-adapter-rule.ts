import type { BaseModelType } from "@atelier/core";
import { invalid, match, noMatch, type IdentificationRule } from "../identification-rule.js";
import { safetensorsRule } from "./safetensors-rule.js";

// IP-Adapters in InvokeAI's single-file layout (`image_proj.*` + `ip_adapter.*`); base from the width of the
// adapter's key projection of image tokens.

/** Single-file IP-Adapter (format `checkpoint`). */
export const ipAdapterFileRule: IdentificationRule = safetensorsRule("IP-Adapter checkpoint", (keys) => {
  if (!keys.anyStartsWith("image_proj.") || !keys.anyStartsWith("ip_adapter.")) return noMatch("no IP-Adapter keys");
  const probe = keys.find(/^ip_adapter\.[0-9]+\.to_k_ip\.weight$/);
  const width = probe === undefined ? undefined : keys.shape(probe)![1];
  let base: BaseModelType | undefined;
  if (width === 768) base = "sd-1";
  else if (width === 1024) base = "sd-2";
  else if (width === 2048) base = "sdxl";
  if (base === undefined)
    return invalid(`IP-Adapter image token projection is ${width ?? "missing"} wide (expected 768, 1024 or 2048)`);
  return match({ type: "ip_adapter", format: "checkpoint", base });
});
