/**
 * Sigma-space helpers shared by the k-diffusion-style schedulers: Karras and exponential sigma ramps and the
 * log-sigma interpolation that maps a sigma back to a (fractional) training timestep.
 */
import { npLinspace } from "./numpy-compat.js";

const f = Math.fround;

/** Karras et al. (2022) ramp: (σmax^(1/ρ) + r (σmin^(1/ρ) − σmax^(1/ρ)))^ρ, r = linspace(0, 1, n), ρ = 7. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** Exponential ramp: exp(linspace(log σmax, log σmin, n)). */
export function exponentialSigmas(sigmaMin: number, sigmaMax: number, n: number): number[] {
  return npLinspace(Math.log(sigmaMax), Math.log(sigmaMin), n).map(Math.exp);
}

/** Float32 logs of the training sigmas (diffusers' `log_sigmas`). */
export function logSigmasOf(trainSigmas: Float32Array): Float32Array {
  return trainSigmas.map((s) => f(Math.log(s)));
}

/**
 * diffusers' `_sigma_to_t`: the fractional timestep whose log-sigma, interpolated linearly between the two
 * bracketing training timesteps, equals log σ (clamped to the training range).
 */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // low = last index whose log-sigma is ≤ log σ (0 when none), clipped so that low + 1 exists.
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low];
  const hi = logSigmas[low + 1];
  const w = Math.min(1, Math.max(0, (lo - logSigma) / (lo - hi)));
  return (1 - w) * low + w * (low + 1);
}
