// LDM (CompVis) UNet module names → diffusers names, for LoRAs trained against original checkpoints
// (`lora_unet_input_blocks_1_1_transformer_blocks_0_attn1_to_q`). The block numbering assumes SD1.x/SD2's
// layers_per_block = 2: input_blocks 1 + 3·level + j (j < 2) are the level's resnet/attention pairs and
// 3·(level + 1) its downsampler; output_blocks 3·level + j hold three resnet/attention pairs, the upsampler last.

const RESNET_PARTS: readonly (readonly [string, string])[] = [
  ["in_layers.2", "conv1"],
  ["emb_layers.1", "time_emb_proj"],
  ["out_layers.3", "conv2"],
  ["skip_connection", "conv_shortcut"],
];

function resnetPart(rest: string, sep: string): string | undefined {
  for (const [ldm, diffusers] of RESNET_PARTS) {
    if (rest === ldm.replace(".", sep)) return diffusers;
  }
  return undefined;
}

/** The diffusers module path of an LDM UNet module path (`.` or `_` separated), or undefined when not LDM. */
export function ldmUnetModuleToDiffusers(module: string, sep: "." | "_"): string | undefined {
  const s = sep === "." ? "\\." : "_";
  const join = (...parts: (string | number)[]) => parts.join(sep);
  const match = (pattern: string) => new RegExp(`^${pattern.replaceAll("SEP", s)}$`).exec(module);

  let m = match("time_embedSEP([02])");
  if (m !== null) return join("time_embedding", m[1] === "0" ? "linear_1" : "linear_2");
  if (match("input_blocksSEP0SEP0") !== null) return "conv_in";
  if (match("outSEP2") !== null) return "conv_out";

  m = match("input_blocksSEP(\\d+)SEP([01])SEP(.+)");
  if (m !== null) {
    const n = Number(m[1]);
    const level = Math.floor((n - 1) / 3);
    const j = (n - 1) % 3;
    const rest = m[3]!;
    if (j === 2)
      return m[2] === "0" && rest === "op" ? join("down_blocks", level, "downsamplers", 0, "conv") : undefined;
    if (m[2] === "1") return join("down_blocks", level, "attentions", j, rest);
    const part = resnetPart(rest, sep);
    return part === undefined ? undefined : join("down_blocks", level, "resnets", j, part);
  }

  m = match("middle_blockSEP([012])SEP(.+)");
  if (m !== null) {
    const rest = m[2]!;
    if (m[1] === "1") return join("mid_block", "attentions", 0, rest);
    const part = resnetPart(rest, sep);
    return part === undefined ? undefined : join("mid_block", "resnets", m[1] === "0" ? 0 : 1, part);
  }

  m = match("output_blocksSEP(\\d+)SEP([012])SEP(.+)");
  if (m !== null) {
    const n = Number(m[1]);
    const level = Math.floor(n / 3);
    const j = n % 3;
    const rest = m[3]!;
    if (rest === "conv" && m[2] !== "0") return join("up_blocks", level, "upsamplers", 0, "conv");
    if (m[2] === "1") return join("up_blocks", level, "attentions", j, rest);
    if (m[2] !== "0") return undefined;
    const part = resnetPart(rest, sep);
    return part === undefined ? undefined : join("up_blocks", level, "resnets", j, part);
  }
  return undefined;
}
