/**
 * A seeded Brownian motion W on [t0, t1] sampled lazily by Brownian bridges, so that increments over nested or
 * overlapping intervals are consistent (what DPM-Solver-SDE needs from torchsde's BrownianTree). Deterministic
 * for a seed and query order; not bit-identical to torchsde's own tree.
 */
import { TorchCpuGenerator } from "@atelier/core";

const f = Math.fround;

/** Brownian increments, normalized like k-diffusion's `BrownianTreeNoiseSampler`. */
export class BrownianNoiseSampler {
  private readonly times: number[];
  private readonly values: Float32Array[];
  private readonly generator: TorchCpuGenerator;

  constructor(
    private readonly size: number,
    sigmaMin: number,
    sigmaMax: number,
    seed: number | bigint,
  ) {
    this.generator = new TorchCpuGenerator(seed);
    const t0 = Math.min(sigmaMin, sigmaMax);
    const t1 = Math.max(sigmaMin, sigmaMax);
    const end = this.normal();
    const scale = Math.sqrt(t1 - t0);
    this.times = [t0, t1];
    this.values = [new Float32Array(size), end.map((z) => f(z * scale))];
  }

  /** (W(b) − W(a)) / √|b − a|: a standard normal per element, signed by the direction of travel. */
  sample(a: number, b: number): Float32Array {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const sign = a <= b ? 1 : -1;
    const wLo = this.at(lo);
    const wHi = this.at(hi);
    const scale = Math.sqrt(Math.abs(hi - lo));
    return wHi.map((w, i) => f(f(f(w - wLo[i]) * sign) / scale));
  }

  private at(t: number): Float32Array {
    const clamped = Math.min(Math.max(t, this.times[0]), this.times[this.times.length - 1]);
    const r = this.times.findIndex((x) => x >= clamped);
    if (this.times[r] === clamped) return this.values[r];
    const l = r - 1;
    const [tl, tr] = [this.times[l], this.times[r]];
    const [wl, wr] = [this.values[l], this.values[r]];
    const w = (clamped - tl) / (tr - tl);
    const std = Math.sqrt(((clamped - tl) * (tr - clamped)) / (tr - tl));
    const z = this.normal();
    const value = wl.map((x, i) => f(x + w * (wr[i] - x) + std * z[i]));
    this.times.splice(r, 0, clamped);
    this.values.splice(r, 0, value);
    return value;
  }

  private normal(): Float32Array {
    const out = new Float32Array(this.size);
    this.generator.fillNormal(out);
    return out;
  }
}
