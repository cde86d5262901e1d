import { TorchCpuGenerator } from "@atelier/core";
import { describe, expect, it } from "vitest";
import {
  SCHEDULER_NAMES,
  SchedulerConfigError,
  SchedulerUsageError,
  UnknownSchedulerError,
  createScheduler,
  schedulerFromConfig,
  type Scheduler,
} from "../../../src/inference/schedulers/index.js";
import {
  FLUX_SCHEDULER_FILE,
  SD15_SCHEDULER_FILE,
  SDXL_SCHEDULER_FILE,
  refTrainSchedule,
} from "./support/reference-schedules.js";

const TRAIN = refTrainSchedule();
const SIZE = 64;
const clean = Float32Array.from({ length: SIZE }, (_, i) => Math.sin(i * 0.7) * 2);

// The model an ideal denoiser would be: it knows the clean latents and answers with the exact ε (or velocity)
// for the latents it is shown. Variance-exploding schedulers reveal σ through scale_model_input's 1/√(σ²+1).
function perfectModel(s: Scheduler, x: Float32Array, t: number): Float32Array {
  if (s.className === "FlowMatchEulerDiscreteScheduler") {
    const sigma = t / 1000;
    return x.map((v, i) => (v - (1 - sigma) * clean[i]) / sigma - clean[i]);
  }
  const scaled = s.scaleModelInput(x, t);
  if (scaled !== x) {
    let k = 0;
    for (let i = 1; i < x.length; i++) if (Math.abs(x[i]) > Math.abs(x[k])) k = i;
    const sigma = Math.sqrt((x[k] / scaled[k]) ** 2 - 1);
    return x.map((v, i) => (v - clean[i]) / sigma);
  }
  const a = TRAIN.alphasCumprod[t];
  return x.map((v, i) => (v - Math.sqrt(a) * clean[i]) / Math.sqrt(1 - a));
}

function run(name: string, steps: number, file: Record<string, unknown>, seed = 7) {
  const s = createScheduler(name, file);
  s.setTimesteps(steps, name === "flow_match_euler" ? { imageSeqLen: 256 } : {});
  const noise = new TorchCpuGenerator(seed + 1).randn([SIZE]).data;
  const generator = new TorchCpuGenerator(seed);
  let x = s.addNoise(clean, noise, s.initTimestep as number);
  for (const t of s.timesteps) x = s.step(perfectModel(s, x, t), t, x, { generator }).prevSample;
  return { s, x, noise };
}

describe("every InvokeAI scheduler denoises to the clean latents under a perfect model", () => {
  // DDIM/PNDM (set_alpha_to_one false), TCD and DEIS stop at the smallest training noise level instead of 0.
  const endsAtSigmaMin = new Set(["ddim", "pndm", "tcd", "deis", "deis_k"]);
  it.each(SCHEDULER_NAMES.map((n) => [n]))("%s", (name) => {
    const file = name === "flow_match_euler" ? FLUX_SCHEDULER_FILE : SD15_SCHEDULER_FILE;
    for (const steps of [4, 12]) {
      const { x, noise } = run(name, steps, file);
      const sigmaMin = Math.sqrt((1 - TRAIN.alphasCumprod[0]) / TRAIN.alphasCumprod[0]);
      x.forEach((v, i) => {
        // TCD's last ε is that of freshly re-noised latents, not of the starting noise: bound it by 4.5 σ_min.
        const residual = name === "tcd" ? 4.5 : Math.abs(noise[i]);
        const bound = endsAtSigmaMin.has(name) ? 1.01 * sigmaMin * residual + 2e-3 : 2e-3;
        expect(Math.abs(v - clean[i]), `${name}/${steps} element ${i}`).toBeLessThanOrEqual(bound);
      });
    }
  });

  it("the solvers actually move: one step of a real scheduler changes the latents", () => {
    const s = createScheduler("dpmpp_2m_k", SD15_SCHEDULER_FILE);
    s.setTimesteps(10);
    const noise = new TorchCpuGenerator(3).randn([SIZE]).data;
    const x = s.addNoise(clean, noise, s.timesteps[0]);
    const next = s.step(perfectModel(s, x, s.timesteps[0]), s.timesteps[0], x).prevSample;
    expect(next.some((v, i) => Math.abs(v - x[i]) > 0.01)).toBe(true);
  });
});

describe("InvokeAI's denoising range trimming", () => {
  it("ddim 10 steps from 0.5 skips the timesteps ≥ 500 and starts img2img at the first kept one", () => {
    const s = createScheduler("ddim", SD15_SCHEDULER_FILE);
    s.setTimesteps(10, { denoisingStart: 0.5 });
    expect(s.timesteps).toEqual([401, 301, 201, 101, 1]);
    expect(s.initTimestep).toBe(401);
    expect(s.scheduleTimesteps).toHaveLength(10);
    s.setTimesteps(10, { denoisingEnd: 0.5 });
    expect(s.timesteps).toEqual([901, 801, 701, 601, 501]);
  });

  it("heun keeps its predictor/corrector pairs whole when trimmed", () => {
    const s = createScheduler("heun", SD15_SCHEDULER_FILE);
    s.setTimesteps(10, { denoisingStart: 0.5 });
    expect(s.timesteps).toEqual([444, 333, 333, 222, 222, 111, 111, 0, 0]);
    // The trimmed run starts on a first-order call: scale_model_input uses σ(444), not the corrector's.
    const sigma444 = TRAIN.sigmas[444];
    const scaled = s.scaleModelInput(Float32Array.of(1), 444);
    expect(scaled[0]).toBeCloseTo(1 / Math.sqrt(sigma444 ** 2 + 1), 5);
  });

  it("flow matching trims by σ: from the last σ ≥ 1 − start", () => {
    const s = createScheduler("flow_match_euler", FLUX_SCHEDULER_FILE);
    s.setTimesteps(4, { imageSeqLen: 16, denoisingStart: 0.3 });
    const all = s.sigmas as readonly number[];
    const expected = s.scheduleTimesteps.filter((_, i) => all[i] <= all.filter((x) => x >= 0.7).at(-1)!);
    expect(s.timesteps).toEqual(expected);
    expect(s.timesteps.length).toBeLessThan(4);
  });
});

describe("noise", () => {
  it("addNoise: √ᾱ·x + √(1−ᾱ)·ε for DDIM, x + σ·ε for Euler, σ·ε + (1−σ)·x for flow matching", () => {
    const eps = new TorchCpuGenerator(11).randn([SIZE]).data;
    const ddim = createScheduler("ddim", SD15_SCHEDULER_FILE);
    ddim.setTimesteps(10);
    const a = TRAIN.alphasCumprod[401];
    ddim
      .addNoise(clean, eps, 401)
      .forEach((v, i) => expect(v).toBeCloseTo(Math.sqrt(a) * clean[i] + Math.sqrt(1 - a) * eps[i], 4));
    const euler = createScheduler("euler", SDXL_SCHEDULER_FILE);
    euler.setTimesteps(10);
    const sigma = TRAIN.sigmas[901];
    euler.addNoise(clean, eps, 901).forEach((v, i) => expect(v).toBeCloseTo(clean[i] + sigma * eps[i], 3));
    const flow = createScheduler("flow_match_euler", FLUX_SCHEDULER_FILE);
    flow.setTimesteps(4, { imageSeqLen: 16 });
    const s1 = (flow.sigmas as readonly number[])[1];
    flow
      .addNoise(clean, eps, flow.timesteps[1])
      .forEach((v, i) => expect(v).toBeCloseTo(s1 * eps[i] + (1 - s1) * clean[i], 5));
  });

  it("Euler a draws its step noise from the generator exactly as torch.randn does", () => {
    const s = createScheduler("euler_a", SD15_SCHEDULER_FILE);
    s.setTimesteps(4);
    const t = s.timesteps[0];
    const zero = new Float32Array(SIZE);
    // With a zero model output and zero latents, x0 = 0, so the step returns noise·σ_up alone.
    const [from, to] = [(s.sigmas as readonly number[])[0], (s.sigmas as readonly number[])[1]];
    const sigmaUp = Math.sqrt((to ** 2 * (from ** 2 - to ** 2)) / from ** 2);
    const out = s.step(zero, t, zero, { generator: new TorchCpuGenerator(42) }).prevSample;
    const expected = new TorchCpuGenerator(42).randn([SIZE]).data;
    out.forEach((v, i) => expect(v / sigmaUp).toBeCloseTo(expected[i], 4));
  });

  it("stochastic schedulers are reproducible for a seed and differ across seeds", () => {
    for (const name of ["euler_a", "kdpm_2_a", "dpmpp_2m_sde", "dpmpp_sde", "lcm", "ddpm", "tcd"]) {
      const one = run(name, 6, SD15_SCHEDULER_FILE, 5);
      const again = run(name, 6, SD15_SCHEDULER_FILE, 5);
      expect(Array.from(again.x)).toEqual(Array.from(one.x));
    }
    const partial = (seed: number) => {
      const s = createScheduler("euler_a", SD15_SCHEDULER_FILE);
      s.setTimesteps(6);
      const x = new Float32Array(SIZE).fill(1);
      return s.step(new Float32Array(SIZE), s.timesteps[0], x, { generator: new TorchCpuGenerator(seed) }).prevSample;
    };
    expect(Array.from(partial(1))).not.toEqual(Array.from(partial(2)));
  });
});

describe("from_config and typed errors", () => {
  it("SD1.5's file has no timestep_spacing, so each class falls back to its own default", () => {
    const spacing = (name: string) => createScheduler(name, SD15_SCHEDULER_FILE).config.values.timestep_spacing;
    expect(spacing("euler")).toBe("linspace");
    expect(spacing("ddim")).toBe("leading");
    expect(spacing("dpmpp_2m")).toBe("linspace");
    expect(spacing("lcm")).toBe("leading");
    expect(createScheduler("euler", SDXL_SCHEDULER_FILE).config.values.timestep_spacing).toBe("leading");
  });

  it("drops keys listed in _use_default_values and private keys; ignores keys the class lacks; applies overrides", () => {
    const file = { ...SDXL_SCHEDULER_FILE, _use_default_values: ["timestep_spacing"], cpu_only: true };
    const s = createScheduler("euler", file, { prediction_type: "v_prediction" });
    expect(s.config.values.timestep_spacing).toBe("linspace");
    expect(s.config.values.prediction_type).toBe("v_prediction");
    expect(s.config.ignoredKeys).toContain("cpu_only");
    expect(s.config.ignoredKeys).toContain("skip_prk_steps");
    const dpm = createScheduler("dpmpp_2m_k", { ...SD15_SCHEDULER_FILE, lambda_min_clipped: "-Infinity" });
    expect(dpm.config.values.lambda_min_clipped).toBe(Number.NEGATIVE_INFINITY);
    expect(dpm.config.values.use_karras_sigmas).toBe(true);
    expect(dpm.config.values.solver_order).toBe(2);
  });

  it("maps a DEIS model's algorithm_type onto DPM-Solver++ as InvokeAI does", () => {
    const deisFile = {
      ...SD15_SCHEDULER_FILE,
      _class_name: "DEISMultistepScheduler",
      algorithm_type: "deis",
      solver_type: "logrho",
    };
    const s = createScheduler("dpmpp_2m", deisFile);
    expect(s.config.values.algorithm_type).toBe("dpmsolver++");
    expect(s.config.values.solver_type).toBe("midpoint");
    expect(createScheduler("dpmpp_2m_sde", SD15_SCHEDULER_FILE).config.values.algorithm_type).toBe("sde-dpmsolver++");
  });

  it("builds a model's own class by name", () => {
    const s = schedulerFromConfig("PNDMScheduler", SD15_SCHEDULER_FILE);
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([751, 501, 501, 251, 1]);
    expect(() => schedulerFromConfig("KarrasVeScheduler")).toThrow(UnknownSchedulerError);
  });

  it("refuses unknown names, bad config values and out-of-order use with typed errors", () => {
    expect(() => createScheduler("euler_x", SD15_SCHEDULER_FILE)).toThrow(UnknownSchedulerError);
    expect(() => createScheduler("euler", { ...SD15_SCHEDULER_FILE, beta_schedule: "cubic" })).toThrow(
      SchedulerConfigError,
    );
    expect(() => createScheduler("euler", { ...SD15_SCHEDULER_FILE, timestep_spacing: "random" })).toThrow(
      SchedulerConfigError,
    );
    expect(() => createScheduler("dpmpp_2m", {}, { solver_order: 5 })).toThrow(SchedulerConfigError);
    const s = createScheduler("euler_a", SD15_SCHEDULER_FILE);
    const x = new Float32Array(4);
    expect(() => s.step(x, 999, x)).toThrow(SchedulerUsageError);
    expect(() => s.setTimesteps(0)).toThrow(SchedulerUsageError);
    expect(() => s.setTimesteps(4, { denoisingStart: 0.8, denoisingEnd: 0.2 })).toThrow(SchedulerUsageError);
    s.setTimesteps(4);
    expect(() => s.step(x, s.timesteps[0], x)).toThrow(/generator/);
    expect(() => s.step(new Float32Array(3), s.timesteps[0], x, { generator: new TorchCpuGenerator(1) })).toThrow(
      SchedulerUsageError,
    );
    const e = createScheduler("euler", SD15_SCHEDULER_FILE);
    e.setTimesteps(4);
    expect(() => e.step(x, 123.5, x)).toThrow(SchedulerUsageError);
    const lcm = createScheduler("lcm", SD15_SCHEDULER_FILE);
    expect(() => lcm.setTimesteps(60)).toThrow(SchedulerUsageError);
    const flow = createScheduler("flow_match_euler", FLUX_SCHEDULER_FILE);
    expect(() => flow.setTimesteps(4)).toThrow(/mu/);
    try {
      createScheduler("nope");
    } catch (err) {
      expect((err as UnknownSchedulerError).code).toBe("unknown_scheduler");
      expect((err as UnknownSchedulerError).details).toMatchObject({ field: "scheduler", value: "nope" });
    }
  });
});
