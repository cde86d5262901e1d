/**
 * `invokeai_img_blend`, `invokeai_img_hue_adjust_plus` and `invokeai_ealightness`: against float32 NumPy/Pillow
 * references of InvokeAI's arithmetic (generate-blend-reference.py), plus properties of the Ok* colour spaces and
 * the polar blend spaces that the references do not cover, and bad inputs.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { RawImage } from "@atelier/core";
import {
  InvokeAdjustImageHuePlusInvocation,
  InvokeEquivalentAchromaticLightnessInvocation,
  InvokeImageBlendInvocation,
} from "../../src/image-nodes.js";
import {
  findCusp,
  gamutClip,
  linearFromOklab,
  okhslFromSrgb,
  okhsvFromSrgb,
  oklabFromLinear,
  srgbFromOkhsl,
  srgbFromOkhsv,
  type Triple,
} from "../../src/composition/ok-color.js";
import { BLEND_COLOR_SPACES, BLEND_MODES } from "../../src/composition/layer-blend.js";
import { createImageTestContext, type ImageTestContext } from "../support/image-test-context.js";
import { compareImages, decodePng, referenceImage } from "../support/reference-images.js";
import { runNode } from "../support/run-node.js";

interface BlendCase {
  name: string;
  op: string;
  inputs: string[];
  params: Record<string, unknown>;
  output: string;
  /** max_diff for every value, or (`within`) the share of values that must be within `diff`. */
  tolerance: { max_diff: number; within?: { diff: number; fraction: number; reason: string } };
}

const REF = new URL("./blend-reference/", import.meta.url);
const cases = (
  JSON.parse(readFileSync(new URL("./blend-reference.json", import.meta.url), "utf8")) as { cases: BlendCase[] }
).cases;

const outImage = (ctx: ImageTestContext, out: Record<string, unknown>) =>
  ctx.image((out.image as { image_name: string }).image_name);

async function runCase(c: BlendCase): Promise<{ got: RawImage; want: RawImage }> {
  const ctx = createImageTestContext();
  const images = await Promise.all(c.inputs.map(async (f) => ctx.putImage(await referenceImage(f))));
  let out: Record<string, unknown>;
  if (c.op === "invokeai_img_blend") {
    const [layer_upper, layer_base, mask] = images;
    out = await runNode(InvokeImageBlendInvocation, { layer_upper, layer_base, mask: mask ?? null, ...c.params }, ctx);
  } else if (c.op === "invokeai_img_hue_adjust_plus") {
    out = await runNode(InvokeAdjustImageHuePlusInvocation, { image: images[0], ...c.params }, ctx);
  } else {
    out = await runNode(InvokeEquivalentAchromaticLightnessInvocation, { image: images[0] }, ctx);
  }
  return { got: outImage(ctx, out), want: await decodePng(new URL(c.output, REF).pathname) };
}

describe("composition blend/hue/EAL nodes vs float32 references of InvokeAI's code", () => {
  it("has reference cases for every node", () => {
    for (const op of ["invokeai_img_blend", "invokeai_img_hue_adjust_plus", "invokeai_ealightness"]) {
      expect(cases.filter((c) => c.op === op).length).toBeGreaterThan(0);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { got, want } = await runCase(c);
    expect([got.width, got.height, got.mode]).toEqual([want.width, want.height, want.mode]);
    const within = c.tolerance.within;
    if (within) {
      const close = got.data.filter((v, i) => Math.abs(v - want.data[i]) <= within.diff).length / got.data.length;
      expect(close, `${c.name}: share within ${within.diff} (${within.reason})`).toBeGreaterThanOrEqual(
        within.fraction,
      );
      return;
    }
    const diff = compareImages(got, want);
    expect(
      diff.maxDiff,
      `${c.name} ${JSON.stringify(c.params)}: ${diff.mismatches} differ, first ${JSON.stringify(diff.firstMismatch)}`,
    ).toBeLessThanOrEqual(c.tolerance.max_diff);
  });
});

describe("Ok colour spaces", () => {
  const samples: Triple[] = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [0.8, 0.4, 0.1],
    [0.2, 0.5, 0.7],
    [0.95, 0.9, 0.3],
    [0.1, 0.05, 0.2],
  ];

  it("Okhsl and Okhsv round-trip sRGB colours", () => {
    for (const rgb of samples) {
      const viaHsl = srgbFromOkhsl(okhslFromSrgb(rgb, 3), 0, 3);
      const viaHsv = srgbFromOkhsv(okhsvFromSrgb(rgb, 3), 0, 3);
      for (let c = 0; c < 3; c++) {
        expect(viaHsl[c], `okhsl ${rgb}`).toBeCloseTo(rgb[c], 3);
        expect(viaHsv[c], `okhsv ${rgb}`).toBeCloseTo(rgb[c], 3);
      }
    }
  });

  it("saturated primaries sit on the gamut edge: Okhsv s = v = 1, Okhsl s = 1", () => {
    for (const rgb of samples.slice(0, 3)) {
      const [, s, v] = okhsvFromSrgb(rgb, 3);
      expect(s).toBeCloseTo(1, 3);
      expect(v).toBeCloseTo(1, 3);
      expect(okhslFromSrgb(rgb, 3)[1]).toBeCloseTo(1, 2);
    }
    // Greys have no saturation; white is l = 1, black l = 0.
    expect(okhslFromSrgb([0.5, 0.5, 0.5], 1)[1]).toBeCloseTo(0, 5);
    expect(okhslFromSrgb([1, 1, 1], 1)[2]).toBeCloseTo(1, 5);
    expect(srgbFromOkhsl([123, 0.7, 0], 0, 1)).toEqual([0, 0, 0]);
  });

  it("the cusp of a hue is the most chromatic in-gamut colour, and gamut clipping lands on the gamut", () => {
    const [L, C] = findCusp(Math.cos(0.5), Math.sin(0.5), 3);
    const rgb = linearFromOklab([L, C * Math.cos(0.5), C * Math.sin(0.5)]);
    expect(Math.max(...rgb)).toBeCloseTo(1, 3);
    expect(Math.min(...rgb)).toBeGreaterThan(-1e-3);
    const outside: Triple = [1.3, -0.2, 0.4];
    const clipped = gamutClip(outside, 0.05, 3);
    expect(Math.max(...clipped)).toBeLessThanOrEqual(1 + 1e-3);
    expect(Math.min(...clipped)).toBeGreaterThanOrEqual(-1e-3);
    // The hue is kept: the clipped colour's (a, b) points the same way.
    const [, a0, b0] = oklabFromLinear(outside);
    const [, a1, b1] = oklabFromLinear(clipped);
    expect(Math.atan2(b1, a1)).toBeCloseTo(Math.atan2(b0, a0), 3);
    const inside: Triple = [0.2, 0.3, 0.4];
    expect(gamutClip(inside, 0.05, 1)).toBe(inside);
  });
});

describe("invokeai_img_blend properties", () => {
  const solid = (ctx: ImageTestContext, rgb: Triple, mode: "RGB" | "RGBA" = "RGB", alpha = 255) => {
    const c = mode === "RGB" ? 3 : 4;
    const data = new Uint8Array(4 * 4 * c);
    for (let i = 0; i < 16; i++) data.set(mode === "RGB" ? rgb : [...rgb, alpha], i * c);
    return ctx.putImage({ width: 4, height: 4, mode, data });
  };
  const pixel = (img: RawImage) => Array.from(img.data.slice(0, img.data.length / 16));

  it("every mode in every space gives a finite image of the base's size and mode", async () => {
    const ctx = createImageTestContext();
    const image = await referenceImage("input-rgb.png");
    const small: RawImage = { width: 8, height: 6, mode: "RGB", data: image.data.slice(0, 8 * 6 * 3) };
    const upper = ctx.putImage(small);
    const base = ctx.putImage({ ...small, data: small.data.map((v) => 255 - v) });
    for (const color_space of BLEND_COLOR_SPACES) {
      for (const blend_mode of BLEND_MODES) {
        const out = outImage(
          ctx,
          await runNode(
            InvokeImageBlendInvocation,
            { layer_upper: upper, layer_base: base, blend_mode, color_space },
            ctx,
          ),
        );
        expect([out.width, out.height, out.mode], `${blend_mode} in ${color_space}`).toEqual([8, 6, "RGB"]);
      }
    }
  });

  it("opacity 0 and a white mask keep the base; Normal at full opacity gives the upper layer", async () => {
    const ctx = createImageTestContext();
    const upper = solid(ctx, [200, 100, 50]);
    const base = solid(ctx, [10, 20, 30]);
    const white = ctx.putImage({ width: 4, height: 4, mode: "L", data: new Uint8Array(16).fill(255) });
    const run = async (extra: Record<string, unknown>) =>
      pixel(
        outImage(
          ctx,
          await runNode(InvokeImageBlendInvocation, { layer_upper: upper, layer_base: base, ...extra }, ctx),
        ),
      );
    expect(await run({ opacity: 0 })).toEqual([10, 20, 30]);
    expect(await run({ mask: white })).toEqual([10, 20, 30]);
    const normal = await run({});
    normal.forEach((v, i) => expect(Math.abs(v - [200, 100, 50][i])).toBeLessThanOrEqual(1));
    // Oklch and Okhsl Normal round-trip the colour too.
    for (const color_space of ["Oklch (Oklab)", "Okhsl", "Okhsv"]) {
      const px = await run({ color_space });
      px.forEach((v, i) => expect(Math.abs(v - [200, 100, 50][i]), color_space).toBeLessThanOrEqual(2));
    }
  });

  it("polar Hue/Color modes take hue from the upper layer and lightness from the base", async () => {
    const ctx = createImageTestContext();
    const red = solid(ctx, [220, 30, 30]);
    const grey = solid(ctx, [128, 128, 128]);
    const run = async (blend_mode: string, color_space: string) =>
      pixel(
        outImage(
          ctx,
          await runNode(
            InvokeImageBlendInvocation,
            { layer_upper: red, layer_base: grey, blend_mode, color_space },
            ctx,
          ),
        ),
      );
    // A grey base has no chroma: Hue keeps it grey; Color makes it red at the grey's lightness.
    for (const space of ["Oklch (Oklab)", "LCh (CIELab)"]) {
      const hue = await run("Hue", space);
      expect(Math.max(...hue) - Math.min(...hue), space).toBeLessThanOrEqual(3);
      const color = await run("Color", space);
      expect(color[0], space).toBeGreaterThan(color[1] + 40);
    }
  });

  it("keeps alpha: a transparent upper leaves an RGBA base as it was", async () => {
    const ctx = createImageTestContext();
    const upper = solid(ctx, [255, 255, 255], "RGBA", 0);
    const base = solid(ctx, [40, 80, 120], "RGBA", 128);
    const out = outImage(
      ctx,
      await runNode(InvokeImageBlendInvocation, { layer_upper: upper, layer_base: base, blend_mode: "Screen" }, ctx),
    );
    expect(out.mode).toBe("RGBA");
    pixel(out).forEach((v, i) => expect(Math.abs(v - [40, 80, 120, 128][i])).toBeLessThanOrEqual(1));
  });

  it("edge inputs: 1x1 layers, an L base, an LA base and a 1x1 upper fitted onto a larger base", async () => {
    const ctx = createImageTestContext();
    const px = ctx.putImage({ width: 1, height: 1, mode: "RGB", data: Uint8Array.of(10, 200, 30) });
    const grey = ctx.putImage({ width: 1, height: 1, mode: "L", data: Uint8Array.of(100) });
    const la = ctx.putImage({ width: 3, height: 2, mode: "LA", data: new Uint8Array(12).fill(128) });
    const one = outImage(ctx, await runNode(InvokeImageBlendInvocation, { layer_upper: px, layer_base: grey }, ctx));
    expect([one.width, one.height, one.mode]).toEqual([1, 1, "L"]);
    // Normal at full opacity: the upper colour, seen through Pillow's RGB→L (0.299 R + 0.587 G + 0.114 B).
    expect(Math.abs(one.data[0] - Math.round(0.299 * 10 + 0.587 * 200 + 0.114 * 30))).toBeLessThanOrEqual(1);
    const onLa = outImage(
      ctx,
      await runNode(InvokeImageBlendInvocation, { layer_upper: px, layer_base: la, blend_mode: "Difference" }, ctx),
    );
    expect([onLa.width, onLa.height, onLa.mode]).toEqual([3, 2, "LA"]);
    const hue = outImage(ctx, await runNode(InvokeAdjustImageHuePlusInvocation, { image: px, degrees: 180 }, ctx));
    expect([hue.width, hue.height]).toEqual([1, 1]);
  });

  it("refuses layers it cannot fit and bad fields, naming the node and field", async () => {
    const ctx = createImageTestContext();
    const a = ctx.putImage({ width: 4, height: 4, mode: "RGB", data: new Uint8Array(48) });
    const b = ctx.putImage({ width: 6, height: 3, mode: "RGB", data: new Uint8Array(54) });
    await expect(
      runNode(InvokeImageBlendInvocation, { layer_upper: b, layer_base: a, fit_to_height: false }, ctx),
    ).rejects.toMatchObject({
      code: "image_size_mismatch",
      details: { node_type: "invokeai_img_blend", field: "layer_upper" },
    });
    await expect(
      runNode(InvokeImageBlendInvocation, { layer_upper: a, layer_base: a, opacity: -1 }, ctx),
    ).rejects.toThrow(/invokeai_img_blend.*opacity/);
    await expect(
      runNode(InvokeImageBlendInvocation, { layer_upper: a, layer_base: a, blend_mode: "Dissolve" }, ctx),
    ).rejects.toThrow(/blend_mode/);
    await expect(runNode(InvokeImageBlendInvocation, { layer_base: a }, ctx)).rejects.toThrow(/layer_upper/);
  });
});

describe("invokeai_img_hue_adjust_plus and invokeai_ealightness", () => {
  it("a full turn gives the image back; Okhsl/Okhsv/LCh rotate and keep size, mode and alpha", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(await referenceImage("input-rgba.png"));
    const src = ctx.image(image.image_name);
    for (const space of ["Okhsl", "Okhsv", "*Oklch / Oklab", "*LCh / CIELab"]) {
      const turned = outImage(
        ctx,
        await runNode(InvokeAdjustImageHuePlusInvocation, { image, space, degrees: 360 }, ctx),
      );
      expect(turned.mode, space).toBe("RGBA");
      // LCh goes through 8-bit LAB and truncation ("non-invertible"): a full turn equals no turn, not the input.
      const still = space.includes("LCh")
        ? outImage(ctx, await runNode(InvokeAdjustImageHuePlusInvocation, { image, space, degrees: 0 }, ctx))
        : src;
      const diff = compareImages(turned, still);
      expect(diff.maxDiff, `${space}: ${JSON.stringify(diff.firstMismatch)}`).toBeLessThanOrEqual(3);
      const rotated = outImage(
        ctx,
        await runNode(InvokeAdjustImageHuePlusInvocation, { image, space, degrees: 120 }, ctx),
      );
      expect(compareImages(rotated, src).mismatches, space).toBeGreaterThan(100);
      for (let i = 3; i < src.data.length; i += 4) expect(rotated.data[i]).toBe(src.data[i]);
    }
  });

  it("preserve_lightness keeps CIE L* of the input (to rounding); L images stay L", async () => {
    const ctx = createImageTestContext();
    // A muted copy of the input, so that rotated colours stay inside the sRGB gamut (clipping would move L*).
    const source = await referenceImage("input-rgb.png");
    const image = ctx.putImage({ ...source, data: source.data.map((v) => 80 + (v >> 1)) });
    const keep = outImage(
      ctx,
      await runNode(InvokeAdjustImageHuePlusInvocation, { image, degrees: 90, preserve_lightness: true }, ctx),
    );
    const eal = async (id: { image_name: string }) =>
      outImage(ctx, await runNode(InvokeEquivalentAchromaticLightnessInvocation, { image: id }, ctx));
    const before = await eal(image);
    const after = await eal(ctx.putImage(keep));
    const close = before.data.filter((v, i) => Math.abs(v - after.data[i]) <= 2).length;
    expect(close / before.data.length).toBeGreaterThan(0.97);
    const plain = outImage(ctx, await runNode(InvokeAdjustImageHuePlusInvocation, { image, degrees: 90 }, ctx));
    const moved = (await eal(ctx.putImage(plain))).data.filter((v, i) => Math.abs(v - before.data[i]) > 2).length;
    expect(moved / before.data.length).toBeGreaterThan(0.2);
    const grey = ctx.putImage(await referenceImage("input-l.png"));
    const greyOut = outImage(ctx, await runNode(InvokeAdjustImageHuePlusInvocation, { image: grey, degrees: 45 }, ctx));
    expect(greyOut.mode).toBe("L");
    expect(compareImages(greyOut, ctx.image(grey.image_name)).maxDiff).toBeLessThanOrEqual(1);
  });

  it("ealightness makes an L image of the input's size, also from L and RGBA inputs", async () => {
    const ctx = createImageTestContext();
    for (const file of ["input-l.png", "input-rgba.png", "input-pixel-rgba.png"]) {
      const image = ctx.putImage(await referenceImage(file));
      const src = ctx.image(image.image_name);
      const out = outImage(ctx, await runNode(InvokeEquivalentAchromaticLightnessInvocation, { image }, ctx));
      expect([out.width, out.height, out.mode]).toEqual([src.width, src.height, "L"]);
    }
  });

  it("refuses the UPLab space (InvokeAI reads it from an ICC profile) and a negative gamut setting", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(await referenceImage("input-rgb.png"));
    await expect(
      runNode(InvokeAdjustImageHuePlusInvocation, { image, space: "*UPLab (w/CIELab_to_UPLab.icc)", degrees: 10 }, ctx),
    ).rejects.toMatchObject({
      code: "color_space_unsupported",
      details: { node_type: "invokeai_img_hue_adjust_plus", field: "space" },
    });
    await expect(runNode(InvokeAdjustImageHuePlusInvocation, { image, ok_adaptive_gamut: -0.1 }, ctx)).rejects.toThrow(
      /ok_adaptive_gamut/,
    );
  });
});
