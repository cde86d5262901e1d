/**
 * The model metadata extractors (`metadata_to_model`, `_sdxl_model`, `_vae`, `_loras`, `_sdlx_loras`,
 * `_lora_collection`, `_controlnets`, `_ip_adapters`, `_t2i_adapters`) against a context whose model records hold a
 * few installed models: found by key, by name, defaults, duplicates and bad metadata.
 */
import {
  AtelierError,
  runInvocation,
  type AnyInvocationDefinition,
  type ModelConfigRecord,
  type ModelType,
} from "@atelier/core";
import { describe, expect, it } from "vitest";
import { LOGIC_NODES } from "../../src/logic-nodes.js";
import { createTestContext, type TestContext } from "../support/test-context.js";

function record(key: string, name: string, type: ModelType, extra: Record<string, unknown> = {}): ModelConfigRecord {
  return {
    key,
    hash: `blake3:${key}`,
    path: `/models/${key}`,
    file_size: 1,
    name,
    description: null,
    source: `/models/${key}`,
    source_type: "path",
    source_api_response: null,
    cover_image: null,
    base: type === "main" && name.includes("xl") ? "sdxl" : "sd-1",
    type,
    format: "diffusers",
    ...extra,
  } as ModelConfigRecord;
}

const RECORDS = [
  record("m1", "dreamshaper", "main"),
  record("m2", "juggernaut-xl", "main"),
  record("v1", "sd-vae-ft-mse", "vae"),
  record("l1", "detail-tweaker", "lora"),
  record("l2", "film-grain", "lora"),
  record("c1", "canny-cn", "controlnet"),
  record("t1", "depth-t2i", "t2i_adapter"),
  record("i1", "ip-adapter-plus", "ip_adapter", { image_encoder_model_id: "InvokeAI/ip_adapter_sd_image_encoder" }),
  record("e1", "ip_adapter_sd_image_encoder", "clip_vision"),
];

/** A test context with RECORDS installed (the rest of the model service stays unavailable). */
function contextWithModels(records = RECORDS): TestContext {
  const ctx = createTestContext();
  const byKey = new Map(records.map((r) => [r.key, r]));
  Object.assign(ctx.models, {
    exists: async (id: string | { key: string }) => byKey.has(typeof id === "string" ? id : id.key),
    getConfig: async (id: string | { key: string }) => {
      const r = byKey.get(typeof id === "string" ? id : id.key);
      if (!r) throw new Error(`no model ${JSON.stringify(id)}`);
      return r;
    },
    searchByAttrs: async (attrs: { name?: string; type?: string }) =>
      records.filter((r) => (!attrs.name || r.name === attrs.name) && (!attrs.type || r.type === attrs.type)),
  });
  return ctx;
}

const ident = (key: string, submodel_type: string | null = null) => {
  const r = RECORDS.find((x) => x.key === key)!;
  return { key, hash: r.hash, name: r.name, base: r.base, type: r.type, submodel_type };
};

const defs = new Map(LOGIC_NODES.map((d) => [d.type, d as AnyInvocationDefinition]));
const run = (type: string, fields: Record<string, unknown>, ctx: TestContext = contextWithModels()) =>
  runInvocation(defs.get(type)!, { id: `${type}-1`, type, ...fields }, ctx) as Promise<Record<string, unknown>>;
async function failure(type: string, fields: Record<string, unknown>, ctx?: TestContext): Promise<AtelierError> {
  try {
    await run(type, fields, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(AtelierError);
    return err as AtelierError;
  }
  throw new Error(`${type} did not fail`);
}

describe("metadata_to_model / metadata_to_sdxl_model", () => {
  it("takes the recorded model by key and splits it into loader outputs", async () => {
    const out = await run("metadata_to_model", { metadata: { model: ident("m1") }, default_value: ident("m2") });
    expect(out.model).toEqual(ident("m1"));
    expect(out.name).toBe("sd-1: dreamshaper");
    expect(out.unet).toEqual({
      unet: ident("m1", "unet"),
      scheduler: ident("m1", "scheduler"),
      loras: [],
      seamless_axes: [],
      freeu_config: null,
    });
    expect(out.clip).toEqual({
      tokenizer: ident("m1", "tokenizer"),
      text_encoder: ident("m1", "text_encoder"),
      loras: [],
      skipped_layers: 0,
    });
    expect(out.vae).toEqual({ vae: ident("m1", "vae"), seamless_axes: [] });
  });

  it("finds a model recorded by name (key unknown here) and falls back to the default when missing", async () => {
    const byName = await run("metadata_to_model", {
      metadata: { model: { key: "other-machine", name: "dreamshaper" } },
      default_value: ident("m2"),
    });
    expect((byName.model as { key: string }).key).toBe("m1");
    const byModelName = await run("metadata_to_model", {
      metadata: { model: { model_name: "juggernaut-xl" } },
      default_value: ident("m1"),
    });
    expect((byModelName.model as { key: string }).key).toBe("m2");
    const fallback = await run("metadata_to_model", { metadata: {}, default_value: ident("m2") });
    expect((fallback.model as { key: string }).key).toBe("m2");
    const custom = await run("metadata_to_model", {
      metadata: { refiner: ident("m2"), model: ident("m1") },
      label: "* CUSTOM LABEL *",
      custom_label: "refiner",
      default_value: ident("m1"),
    });
    expect((custom.model as { key: string }).key).toBe("m2");
  });

  it("sdxl adds the second text encoder", async () => {
    const out = await run("metadata_to_sdxl_model", { metadata: { model: ident("m2") }, default_value: ident("m2") });
    expect(out.clip2).toEqual({
      tokenizer: ident("m2", "tokenizer_2"),
      text_encoder: ident("m2", "text_encoder_2"),
      loras: [],
      skipped_layers: 0,
    });
    expect(out.name).toBe("sdxl: juggernaut-xl");
  });

  it("refuses an unknown model, a blank custom label and a missing default", async () => {
    const unknown = await failure("metadata_to_model", {
      metadata: { model: { key: "nope", name: "nope" } },
      default_value: { ...ident("m1"), key: "gone" },
    });
    expect(unknown.code).toBe("metadata_model_not_found");
    expect(unknown.message).toContain("metadata_to_model");
    expect(unknown.message).toContain('"gone"');
    const blank = await failure("metadata_to_model", {
      label: "* CUSTOM LABEL *",
      custom_label: "  ",
      default_value: ident("m1"),
    });
    expect(blank.details.field).toBe("custom_label");
    expect((await failure("metadata_to_model", { metadata: {} })).details.field).toBe("default_value");
  });
});

describe("metadata_to_vae", () => {
  it("reads the VAE recorded as a model identifier, else the default", async () => {
    const defaultVae = { vae: ident("v1"), seamless_axes: ["x"] };
    const out = await run("metadata_to_vae", { metadata: { vae: ident("v1") }, default_value: defaultVae });
    expect(out.vae).toEqual({ vae: ident("v1", "vae"), seamless_axes: [] });
    const none = await run("metadata_to_vae", { metadata: { vae: { name: "missing" } }, default_value: defaultVae });
    expect(none.vae).toEqual({ vae: ident("v1", "vae"), seamless_axes: [] });
  });
});

describe("metadata LoRAs", () => {
  const unet = {
    unet: ident("m1", "unet"),
    scheduler: ident("m1", "scheduler"),
    loras: [{ lora: ident("l1"), weight: 0.3 }],
    seamless_axes: [],
    freeu_config: null,
  };
  const clip = {
    tokenizer: ident("m1", "tokenizer"),
    text_encoder: ident("m1", "text_encoder"),
    loras: [],
    skipped_layers: 1,
  };
  const metadata = {
    loras: [
      { model: ident("l1"), weight: 0.75 },
      { model: { key: "elsewhere", name: "film-grain" }, weight: "0.5" },
      { model: { key: "unknown-lora", name: "unknown" }, weight: 1 },
    ],
  };

  it("metadata_to_loras appends recorded LoRAs the fields do not have yet", async () => {
    const ctx = contextWithModels();
    const out = await run("metadata_to_loras", { metadata, unet, clip }, ctx);
    expect((out.unet as typeof unet).loras).toEqual([
      { lora: ident("l1"), weight: 0.3 },
      { lora: ident("l2"), weight: 0.5 },
    ]);
    expect((out.clip as typeof clip).loras).toEqual([
      { lora: ident("l1"), weight: 0.75 },
      { lora: ident("l2"), weight: 0.5 },
    ]);
    expect(ctx.store.logs.some((l) => l.message.includes('"l1" already applied to unet'))).toBe(true);
    // The input is not changed in place.
    expect(unet.loras).toHaveLength(1);
    const empty = await run("metadata_to_loras", { metadata: {} });
    expect(empty).toMatchObject({ unet: null, clip: null });
  });

  it("metadata_to_sdlx_loras fills clip2 too", async () => {
    const out = await run("metadata_to_sdlx_loras", { metadata, clip2: clip });
    expect(out.unet).toBeNull();
    expect((out.clip2 as typeof clip).loras.map((l) => l.lora.key)).toEqual(["l1", "l2"]);
  });

  it("metadata_to_lora_collection keeps given LoRAs first and skips recorded duplicates", async () => {
    const out = await run("metadata_to_lora_collection", {
      metadata: { ...metadata, my_loras: [{ lora: ident("l2"), weight: 2 }] },
      loras: { lora: ident("l1"), weight: 1 },
    });
    expect(out.lora).toEqual([
      { lora: ident("l1"), weight: 1 },
      { lora: ident("l2"), weight: 0.5 },
    ]);
    const custom = await run("metadata_to_lora_collection", {
      metadata: { my_loras: [{ lora: ident("l2"), weight: 2 }] },
      custom_label: "my_loras",
    });
    expect(custom.lora).toEqual([{ lora: ident("l2"), weight: 2 }]);
    expect((await run("metadata_to_lora_collection", {})).lora).toEqual([]);
  });

  it("refuses a recorded LoRA whose weight is not a number", async () => {
    const err = await failure("metadata_to_loras", { metadata: { loras: [{ model: ident("l1"), weight: "heavy" }] } });
    expect(err.details.field).toBe("metadata");
    expect(err.message).toContain("metadata_to_loras");
  });
});

describe("metadata adapters", () => {
  const image = { image_name: "control.png" };

  it("metadata_to_controlnets builds ControlFields after the ones passed in", async () => {
    const given = {
      image: { image_name: "given.png" },
      control_model: ident("c1"),
      control_weight: 1,
      begin_step_percent: 0,
      end_step_percent: 1,
      control_mode: "balanced",
      resize_mode: "just_resize",
    };
    const recorded = {
      image,
      control_model: { key: "x", name: "canny-cn" },
      control_weight: [0.5, 0.6],
      begin_step_percent: 0.1,
      end_step_percent: 0.9,
      control_mode: "more_control",
      resize_mode: "crop_resize",
    };
    const out = await run("metadata_to_controlnets", { metadata: { controlnets: [recorded] }, control_list: given });
    expect(out.control_list).toEqual([given, { ...recorded, control_model: ident("c1") }]);
    // Nothing recorded: the input passes through as it came; nothing at all: an empty list.
    expect((await run("metadata_to_controlnets", { metadata: {}, control_list: given })).control_list).toEqual(given);
    expect((await run("metadata_to_controlnets", {})).control_list).toEqual([]);
  });

  it("metadata_to_t2i_adapters and metadata_to_ip_adapters resolve their models", async () => {
    const t2i = await run("metadata_to_t2i_adapters", {
      metadata: {
        t2iAdapters: [
          {
            image,
            t2i_adapter_model: ident("t1"),
            weight: 0.8,
            begin_step_percent: 0,
            end_step_percent: 0.5,
            resize_mode: "just_resize",
          },
        ],
      },
    });
    expect(t2i.t2i_adapter_list).toEqual([
      {
        image,
        t2i_adapter_model: ident("t1"),
        weight: 0.8,
        begin_step_percent: 0,
        end_step_percent: 0.5,
        resize_mode: "just_resize",
      },
    ]);
    const ip = await run("metadata_to_ip_adapters", {
      metadata: {
        ipAdapters: [{ image, ip_adapter_model: ident("i1"), weight: 0.6, begin_step_percent: 0, end_step_percent: 1 }],
      },
    });
    expect(ip.ip_adapter_list).toEqual([
      {
        image,
        ip_adapter_model: ident("i1"),
        image_encoder_model: ident("e1"),
        weight: 0.6,
        target_blocks: ["block"],
        method: "full",
        begin_step_percent: 0,
        end_step_percent: 1,
        mask: null,
      },
    ]);
  });

  it("refuses incomplete adapter records and missing models, naming the node", async () => {
    const missingField = await failure("metadata_to_t2i_adapters", {
      metadata: { t2iAdapters: [{ image, t2i_adapter_model: ident("t1"), weight: 1 }] },
    });
    expect(missingField.details.field).toBe("metadata");
    expect(missingField.message).toContain("begin_step_percent");
    const badValue = await failure("metadata_to_controlnets", {
      metadata: {
        controlnets: [
          {
            image,
            control_model: ident("c1"),
            control_weight: 1,
            begin_step_percent: 2,
            end_step_percent: 1,
            control_mode: "balanced",
            resize_mode: "just_resize",
          },
        ],
      },
    });
    expect(badValue.message).toContain("begin_step_percent");
    const noModel = await failure("metadata_to_controlnets", {
      metadata: { controlnets: [{ image, control_model: { key: "zz", name: "zz" } }] },
    });
    expect(noModel.code).toBe("metadata_model_not_found");
    const noEncoder = await failure(
      "metadata_to_ip_adapters",
      {
        metadata: {
          ipAdapters: [{ image, ip_adapter_model: ident("i1"), weight: 1, begin_step_percent: 0, end_step_percent: 1 }],
        },
      },
      contextWithModels(RECORDS.filter((r) => r.key !== "e1")),
    );
    expect(noEncoder.message).toContain("ip_adapter_sd_image_encoder");
  });
});
