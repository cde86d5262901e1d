import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createScheduler } from "../../../src/inference/schedulers/index.js";
import { DIFFUSION_FIXTURES, haveDiffusionFixtures, loadCase, row, rowF32 } from "./support/diffusion-fixtures.js";

const CASES = [
  ["sd15_euler_4steps_cfg7.5", "tiny-sd15"],
  ["sd15_ddim_10steps_cfg7.5", "tiny-sd15"],
  ["sd15_dpmpp_2m_k_10steps_cfg7.5", "tiny-sd15"],
  ["sdxl_euler_10steps_cfg7.5", "tiny-sdxl"],
  ["flux_4steps_guidance3.5", "tiny-flux"],
] as const;

// The README's tolerance for latents: |a − b| ≤ 1e-3 + 1e-4·|ref|.
function expectLatentsClose(actual: Float32Array, expected: Float32Array, where: string) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const bound = 1e-3 + 1e-4 * Math.abs(expected[i]);
    if (Math.abs(actual[i] - expected[i]) > bound) {
      throw new Error(`${where}: element ${i} is ${actual[i]}, reference ${expected[i]} (bound ${bound})`);
    }
  }
}

describe.runIf(haveDiffusionFixtures)("schedulers against the diffusers reference runs", () => {
  it.each(CASES)("%s: schedule, init σ and every step's latents from the stored noise_pred", (name, model) => {
    const { json, tensors } = loadCase(name);
    const info = json.scheduler as Record<string, unknown>;
    for (const folder of ["diffusers", "onnx"]) {
      const file = JSON.parse(
        readFileSync(join(DIFFUSION_FIXTURES, model, folder, "scheduler", "scheduler_config.json"), "utf8"),
      );
      const scheduler = createScheduler((info.invokeai_name as string | null) ?? "flow_match_euler", file);
      const flux = name.startsWith("flux");
      scheduler.setTimesteps(
        json.num_inference_steps as number,
        flux ? { imageSeqLen: json.image_seq_len as number } : {},
      );

      expect(scheduler.className).toBe(info.class);
      expect(scheduler.timesteps).toEqual(info.timesteps);
      expect(scheduler.timesteps).toEqual(Array.from(tensors.timesteps.data, Number));
      if (info.sigmas !== null) expect(scheduler.sigmas).toEqual(info.sigmas);
      if (info.init_noise_sigma !== undefined) expect(scheduler.initNoiseSigma).toBe(info.init_noise_sigma);
      if (info.order !== undefined) expect(scheduler.order).toBe(info.order);

      const modelOut = flux ? tensors.transformer_out : tensors.noise_pred;
      let latents = (flux ? tensors.packed_noise.data : tensors.start_latents.data) as Float32Array;
      scheduler.timesteps.forEach((t, i) => {
        if (!flux) {
          // The UNet saw scale_model_input(latents) in both CFG rows.
          const scaled = scheduler.scaleModelInput(latents, t);
          expectLatentsClose(
            scaled,
            rowF32(tensors.unet_sample, i).subarray(0, latents.length),
            `${name} unet_sample ${i}`,
          );
          expect(row(tensors.unet_timestep, i)[0]).toBe(t);
        }
        latents = scheduler.step(rowF32(modelOut, i), t, latents).prevSample;
        expectLatentsClose(latents, rowF32(tensors.step_latents, i), `${name} (${folder}) step ${i}`);
      });
      expectLatentsClose(latents, tensors.final_latents.data as Float32Array, `${name} final`);
    }
  });

  it("FLUX: μ for 16 image tokens is the README's 0.459375 and gives the same schedule as passing μ", () => {
    const { json } = loadCase("flux_4steps_guidance3.5");
    const file = JSON.parse(
      readFileSync(join(DIFFUSION_FIXTURES, "tiny-flux", "diffusers", "scheduler", "scheduler_config.json"), "utf8"),
    );
    const byMu = createScheduler("flow_match_euler", file);
    byMu.setTimesteps(4, { mu: json.mu as number });
    expect(json.mu).toBe(0.459375);
    const bySeq = createScheduler("flow_match_euler", file);
    bySeq.setTimesteps(4, { imageSeqLen: 16 });
    expect(bySeq.sigmas).toEqual(byMu.sigmas);
  });
});
