/**
 * `noise` for every architecture InvokeAI's node offers: shapes, size multiples, and the values of torch.randn on
 * CPU (checked against the torch fixtures in /work/shared/fixtures/noise where one has the same seed and shape).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AtelierError, decodeSafetensors, runInvocation, toFloat32, type AnyInvocationDefinition } from "@atelier/core";
import { describe, expect, it } from "vitest";
import { NoiseInvocation } from "../../src/latents/latent-nodes.js";
import { NOISE_TYPES, noiseShape, noiseSizeMultiple } from "../../src/latents/noise-shapes.js";
import { createTestContext } from "../support/test-context.js";

const NOISE_DIR = fileURLToPath(new URL("../../../../../shared/fixtures/noise/", import.meta.url));

async function noise(fields: Record<string, unknown>) {
  const ctx = createTestContext();
  const out = (await runInvocation(
    NoiseInvocation as unknown as AnyInvocationDefinition,
    { id: "n", type: "noise", ...fields },
    ctx,
  )) as { noise: { latents_name: string; seed: number }; width: number; height: number };
  return { out, tensor: ctx.store.tensors.get(out.noise.latents_name)! };
}

function halfStep(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(a)) - 10);
}

describe("noise types", () => {
  it.each([
    ["SD", [1, 4, 6, 10]],
    ["FLUX", [1, 16, 6, 10]],
    ["FLUX.2", [1, 32, 6, 10]],
    ["SD3", [1, 16, 6, 10]],
    ["Z-Image", [1, 16, 6, 10]],
    ["Anima", [1, 16, 1, 6, 10]],
  ] as const)("%s noise for 80x48 has shape %j and reports the size back", async (noiseType, shape) => {
    const { out, tensor } = await noise({ noise_type: noiseType, width: 80, height: 48, seed: 5 });
    expect(tensor.shape).toEqual(shape);
    expect(tensor.dtype).toBe("float32");
    expect(out).toMatchObject({ width: 80, height: 48, noise: { seed: 5 } });
  });

  it("CogView4 needs multiples of 32", async () => {
    expect(noiseShape("CogView4", 64, 96)).toEqual([1, 16, 12, 8]);
    await expect(noise({ noise_type: "CogView4", width: 80, height: 64 })).rejects.toMatchObject({
      details: { field: "width", node_type: "noise" },
    });
    await expect(noise({ noise_type: "SD3", width: 64, height: 72 })).rejects.toMatchObject({
      details: { field: "height" },
    });
    expect(NOISE_TYPES.map(noiseSizeMultiple)).toEqual([8, 16, 16, 16, 32, 16, 8]);
  });

  it("every type draws the same stream: the first values agree across shapes with the same seed", async () => {
    const sd = (await noise({ noise_type: "SD", width: 64, height: 64, seed: 11 })).tensor.data as Float32Array;
    const anima = (await noise({ noise_type: "Anima", width: 64, height: 64, seed: 11 })).tensor.data as Float32Array;
    // 256 (SD) and 1024 (Anima) values both take torch's vectorised path: the first 256 values agree.
    expect(Array.from(anima.slice(0, 256))).toEqual(Array.from(sd));
    const other = (await noise({ noise_type: "SD", width: 64, height: 64, seed: 12 })).tensor.data as Float32Array;
    expect(Array.from(other.slice(0, 8))).not.toEqual(Array.from(sd.slice(0, 8)));
  });

  it("FLUX noise equals torch.randn([1, 16, 64, 64]) of the fixture's seed (fixture stored as float16)", async () => {
    const { tensors, metadata } = decodeSafetensors(
      new Uint8Array(readFileSync(NOISE_DIR + "seed7_1x16x64x64_float16.safetensors")),
    );
    expect(JSON.parse(metadata.shape)).toEqual([1, 16, 64, 64]);
    const { tensor } = await noise({ noise_type: "FLUX", width: 512, height: 512, seed: Number(metadata.seed) });
    expect(tensor.shape).toEqual([1, 16, 64, 64]);
    const want = toFloat32(tensors.noise).data;
    const got = tensor.data as Float32Array;
    let bad = 0;
    for (let i = 0; i < want.length; i++) if (Math.abs(got[i] - want[i]) > halfStep(want[i]) + 1e-7) bad++;
    expect(bad).toBe(0);
  });

  it("refuses a seed out of range and a size that is not a multiple of 8, as typed errors", async () => {
    const err = await noise({ seed: -1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtelierError);
    expect((err as AtelierError).details.field).toBe("seed");
    await expect(noise({ height: 0 })).rejects.toMatchObject({ details: { field: "height" } });
  });
});
