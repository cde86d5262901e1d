import { describe, expect, it } from "vitest";
import { createScheduler, type Scheduler } from "../../../src/inference/schedulers/index.js";
import {
  FLUX_SCHEDULER_FILE,
  SD15_SCHEDULER_FILE,
  SDXL_SCHEDULER_FILE,
  evenly,
  karras,
  lerpTable,
  maxRelDiff,
  refTrainSchedule,
  roundEven,
  timestepOfSigma,
} from "./support/reference-schedules.js";

// Every expectation below is derived from the published definitions in float64 (reference-schedules.ts); the
// code under test works in float32 like torch, hence the relative tolerances.
const STEPS = [1, 4, 10, 50];
const TRAIN = refTrainSchedule();
const TS = TRAIN.sigmas;
const SIGMA_REL = 3e-5;

function build(name: string, n: number, file: Record<string, unknown> = SD15_SCHEDULER_FILE): Scheduler {
  const s = createScheduler(name, file);
  s.setTimesteps(n);
  return s;
}

function expectClose(actual: readonly number[], expected: readonly number[], absTol: number) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) =>
    expect(Math.abs(a - expected[i]), `index ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(absTol),
  );
}

const linspaceTimesteps = (n: number) => evenly(0, 999, n).reverse();
const interpSigmas = (ts: number[]) => ts.map((t) => lerpTable(TS, t));
const twice = <T>(xs: T[]) => [xs[0], ...xs.slice(1).flatMap((x) => [x, x])];

describe("the training schedule itself", () => {
  it("matches the fixture's σ at t = 999 and t = 0 (SD1.5 scaled_linear)", () => {
    expect(TS[999]).toBeCloseTo(14.614646911621094, 4);
    expect(TS[0]).toBeCloseTo(0.029167532920837402, 6);
  });
});

describe.each(STEPS)("sigma schedulers with SD1.5's file (linspace), %i steps", (n) => {
  const ts = linspaceTimesteps(n);
  const sig = interpSigmas(ts);
  const ks = karras(sig[sig.length - 1], sig[0], n);
  const kts = ks.map((s) => timestepOfSigma(s, TS));

  it.each(["euler", "euler_a", "lms"])("%s: timesteps linspace(0, 999, N), σ interpolated, then 0", (name) => {
    const s = build(name, n);
    expectClose(s.timesteps, ts, 1e-3);
    expect(maxRelDiff(s.sigmas!, [...sig, 0])).toBeLessThan(SIGMA_REL);
    expect(s.initNoiseSigma).toBeCloseTo(Math.max(...sig), 3);
    expect(s.order).toBe(1);
    expect(s.timestepDtype).toBe("float32");
  });

  it.each(["euler_k", "lms_k"])(
    "%s: Karras ramp between the interpolated ends, timesteps by log-σ inversion",
    (name) => {
      const s = build(name, n);
      expect(maxRelDiff(s.sigmas!, [...ks, 0])).toBeLessThan(SIGMA_REL);
      expectClose(s.timesteps, kts, 0.02);
    },
  );

  it("heun: every σ after the first twice (predictor + corrector), 2N−1 calls", () => {
    const s = build("heun", n);
    expectClose(s.timesteps, twice(ts), 1e-3);
    expect(s.timesteps).toHaveLength(2 * n - 1);
    expect(maxRelDiff(s.sigmas!, [...twice(sig), 0])).toBeLessThan(SIGMA_REL);
    expect(s.order).toBe(2);
    const k = build("heun_k", n);
    expect(maxRelDiff(k.sigmas!, [...twice(ks), 0])).toBeLessThan(SIGMA_REL);
    expectClose(k.timesteps, twice(kts), 0.02);
  });

  it.each([
    ["kdpm_2", false],
    ["kdpm_2_k", true],
  ] as const)("%s: real and log-midpoint timesteps interleaved", (name, useKarras) => {
    const s = build(name, n);
    const base = useKarras ? ks : sig;
    const baseTs = useKarras ? kts.map(roundEven) : ts;
    const all = [...base, 0];
    const mids = all.map((x, k) => (k === 0 ? Number.NaN : Math.sqrt(x * all[k - 1])));
    const expectedTs = [baseTs[0]];
    for (let k = 1; k < n; k++) expectedTs.push(timestepOfSigma(mids[k], TS), baseTs[k]);
    expectClose(s.timesteps, expectedTs, 0.05);
    const expanded = [all[0], ...all.slice(1).flatMap((x) => [x, x]), all[all.length - 1]];
    expect(maxRelDiff(s.sigmas!, expanded)).toBeLessThan(SIGMA_REL);
  });

  it.each([
    ["kdpm_2_a", false],
    ["kdpm_2_a_k", true],
  ] as const)(
    "%s: the ancestral midpoint √(σ·σ_down) = σ_next, interleaved before each real timestep",
    (name, useKarras) => {
      const s = build(name, n);
      const base = useKarras ? ks : sig;
      const baseTs = useKarras ? kts.map(roundEven) : ts;
      // σ_up² = σn²(σ² − σn²)/σ², σ_down = √(σn² − σ_up²) = σn²/σ, so the midpoint √(σ σ_down) is σ_next itself.
      const expectedTs = [baseTs[0]];
      for (let k = 1; k < n; k++) expectedTs.push(timestepOfSigma(base[k], TS), baseTs[k]);
      expectClose(s.timesteps, expectedTs, 0.05);
    },
  );

  it.each([
    ["dpmpp_sde", false],
    ["dpmpp_sde_k", true],
  ] as const)("%s: midpoints in t = −log σ between the real timesteps", (name, useKarras) => {
    const s = build(name, n);
    const base = useKarras ? ks : sig;
    const baseTs = useKarras ? kts : ts;
    const all = [...base, 0];
    const expectedTs = [baseTs[0]];
    for (let k = 1; k < n; k++) expectedTs.push(timestepOfSigma(Math.sqrt(all[k - 1] * all[k]), TS), baseTs[k]);
    expectClose(s.timesteps, expectedTs, 0.05);
    expect(maxRelDiff(s.sigmas!, [...twice(base), 0])).toBeLessThan(SIGMA_REL);
  });
});

describe.each(STEPS)("SDXL's file (leading, steps_offset 1), %i steps", (n) => {
  it("euler: timesteps i·⌊1000/N⌋ + 1, init σ = √(σmax² + 1)", () => {
    const s = build("euler", n, SDXL_SCHEDULER_FILE);
    const ts = Array.from({ length: n }, (_, i) => i * Math.floor(1000 / n) + 1).reverse();
    expect(s.timesteps).toEqual(ts);
    const sig = ts.map((t) => TS[t]);
    expect(maxRelDiff(s.sigmas!, [...sig, 0])).toBeLessThan(SIGMA_REL);
    expect(s.initNoiseSigma).toBeCloseTo(Math.sqrt(sig[0] ** 2 + 1), 3);
  });
});

describe.each(STEPS)("ᾱ-indexed schedulers, %i steps", (n) => {
  const leading = Array.from({ length: n }, (_, i) => i * Math.floor(1000 / n) + 1).reverse();

  it.each(["ddim", "ddpm"])("%s: leading integer timesteps, no sigmas, init σ 1", (name) => {
    const s = build(name, n);
    expect(s.timesteps).toEqual(leading);
    expect(s.sigmas).toBeNull();
    expect(s.initNoiseSigma).toBe(1);
    expect(s.timestepDtype).toBe("int64");
  });

  it("pndm (PLMS): the second timestep repeats, N+1 calls", () => {
    const asc = [...leading].reverse();
    const expected = [...asc.slice(0, -1), ...asc.slice(-2, -1), ...asc.slice(-1)].reverse();
    const s = build("pndm", n);
    expect(s.timesteps).toEqual(expected);
    expect(s.timesteps).toHaveLength(n === 1 ? 1 : n + 1);
  });

  it.each(["lcm", "tcd"])("%s: every ⌊50/N⌋-th point of the 50-step distillation grid 999, 979, …", (name) => {
    const grid = Array.from({ length: 50 }, (_, i) => (i + 1) * 20 - 1).reverse();
    const expected = Array.from({ length: n }, (_, i) => grid[Math.floor((i * 50) / n)]);
    expect(build(name, n).timesteps).toEqual(expected);
  });
});

describe.each(STEPS)("exponential-integrator solvers, %i steps", (n) => {
  const ts = evenly(0, 999, n + 1)
    .map(roundEven)
    .reverse()
    .slice(0, n);
  const sig = ts.map((t) => TS[t]);
  const ks = karras(TS[0], TS[999], n);
  const kts = ks.map((s) => roundEven(timestepOfSigma(s, TS)));

  it.each(["dpmpp_2m", "dpmpp_2m_sde", "dpmpp_3m", "dpmpp_2s", "unipc"])(
    "%s: N+1 linspace with the last dropped, final σ 0",
    (name) => {
      const s = build(name, n);
      expect(s.timesteps).toEqual(ts);
      expect(maxRelDiff(s.sigmas!, [...sig, 0])).toBeLessThan(SIGMA_REL);
      expect(s.initNoiseSigma).toBe(1);
      expect(s.timestepDtype).toBe("int64");
    },
  );

  it.each(["dpmpp_2m_k", "dpmpp_2m_sde_k", "dpmpp_3m_k", "dpmpp_2s_k", "unipc_k"])(
    "%s: Karras over the whole training range",
    (name) => {
      const s = build(name, n);
      expect(s.timesteps).toEqual(kts);
      expect(maxRelDiff(s.sigmas!, [...ks, 0])).toBeLessThan(SIGMA_REL);
    },
  );

  it("deis / deis_k: same timesteps, but the last σ is repeated as the final one instead of 0", () => {
    const s = build("deis", n);
    expect(s.timesteps).toEqual(ts);
    expect(maxRelDiff(s.sigmas!, [...sig, TS[0]])).toBeLessThan(SIGMA_REL);
    const k = build("deis_k", n);
    expect(k.timesteps).toEqual(kts);
    // With a Karras ramp DEIS repeats the ramp's last σ (σmin, or σmax for a single step).
    expect(maxRelDiff(k.sigmas!, [...ks, ks[ks.length - 1]])).toBeLessThan(SIGMA_REL);
  });
});

describe.each(STEPS)("flow matching (FLUX.1-dev file), %i steps", (n) => {
  it.each([16, 1024, 4096])("σ' = e^μ/(e^μ + 1/σ − 1) over linspace(1, 1/N), μ from %i image tokens", (seq) => {
    const mu = 0.5 + ((1.15 - 0.5) * (seq - 256)) / (4096 - 256);
    const expected = evenly(1, 1 / n, n).map((s) => Math.exp(mu) / (Math.exp(mu) + 1 / s - 1));
    const s = createScheduler("flow_match_euler", FLUX_SCHEDULER_FILE);
    s.setTimesteps(n, { imageSeqLen: seq });
    expect(maxRelDiff(s.sigmas!, [...expected, 0])).toBeLessThan(1e-6);
    expect(
      maxRelDiff(
        [...s.timesteps],
        expected.map((x) => x * 1000),
      ),
    ).toBeLessThan(1e-6);
  });
});
