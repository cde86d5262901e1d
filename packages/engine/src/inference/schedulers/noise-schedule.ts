/**
 * The training noise schedule every discrete scheduler starts from, in torch's float32 arithmetic:
 * betas → alphas = 1 − betas → alphas_cumprod (torch accumulates the product in double, stores float32).
 */
import type { SchedulerConfig } from "./scheduler-config.js";
import { SchedulerConfigError } from "./scheduler-errors.js";

const f = Math.fround;

/** `torch.linspace(start, end, steps, dtype=torch.float32)`: float32 step, filled from both ends toward the middle. */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f(start);
  const e = f(end);
  const step = f(f(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  return out;
}

/** diffusers' `betas_for_alpha_bar` (cosine, "squaredcos_cap_v2"): computed in float64, stored float32. */
export function cosineBetas(numTrainTimesteps: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI * 0.5) ** 2;
  const out = new Float32Array(numTrainTimesteps);
  for (let i = 0; i < numTrainTimesteps; i++) {
    const t1 = i / numTrainTimesteps;
    const t2 = (i + 1) / numTrainTimesteps;
    out[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta);
  }
  return out;
}

/** Betas for a config's `beta_schedule` (linear, scaled_linear, squaredcos_cap_v2, sigmoid) or `trained_betas`. */
export function betasFromConfig(config: SchedulerConfig, allowSigmoid = false): Float32Array {
  const n = config.int("num_train_timesteps");
  const trained = config.numArray("trained_betas");
  if (trained !== null) return Float32Array.from(trained);
  const start = config.num("beta_start");
  const end = config.num("beta_end");
  const schedule = config.str("beta_schedule");
  switch (schedule) {
    case "linear":
      return torchLinspaceF32(start, end, n);
    case "scaled_linear": {
      const roots = torchLinspaceF32(Math.sqrt(start), Math.sqrt(end), n);
      return roots.map((r) => f(r * r));
    }
    case "squaredcos_cap_v2":
      return cosineBetas(n);
    case "sigmoid":
      if (allowSigmoid) {
        const xs = torchLinspaceF32(-6, 6, n);
        return xs.map((x) => f(f(f(1 / (1 + Math.exp(-x))) * f(end - start)) + f(start)));
      }
      break;
    default:
      break;
  }
  throw new SchedulerConfigError(config.className, "beta_schedule", "is not implemented for this scheduler", schedule);
}

/** `torch.cumprod(1 - betas)` as torch computes it on CPU. */
export function alphasCumprodOf(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= f(1 - betas[i]);
    out[i] = acc;
  }
  return out;
}

/** Rescales betas to zero terminal SNR (Lin et al. 2023, Algorithm 1), as diffusers' `rescale_zero_terminal_snr`. */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const acp = alphasCumprodOf(betas);
  const sqrtAcp = acp.map((a) => f(Math.sqrt(a)));
  const first = sqrtAcp[0];
  const last = sqrtAcp[sqrtAcp.length - 1];
  const scaled = sqrtAcp.map((s) => f(f(f(s - last) * first) / f(first - last)));
  const rescaledAcp = scaled.map((s) => f(s * s));
  const out = new Float32Array(betas.length);
  out[0] = f(1 - rescaledAcp[0]);
  for (let i = 1; i < out.length; i++) out[i] = f(1 - f(rescaledAcp[i] / rescaledAcp[i - 1]));
  return out;
}

/** The noise schedule of a config: betas, alphas_cumprod, with zero-terminal-SNR rescaling when asked. */
export function noiseScheduleOf(config: SchedulerConfig, options: { allowSigmoid?: boolean } = {}): Float32Array {
  let betas = betasFromConfig(config, options.allowSigmoid);
  if (Object.hasOwn(config.values, "rescale_betas_zero_snr") && config.bool("rescale_betas_zero_snr")) {
    betas = rescaleZeroTerminalSnr(betas);
  }
  return alphasCumprodOf(betas);
}

/** Karras-style training sigmas √((1 − ᾱ)/ᾱ) for every training timestep, in float32. */
export function trainingSigmas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => f(Math.sqrt(f(f(1 - a) / a))));
}
