/**
 * Penner easing curves with the semantics of the Python `easing-functions` package that InvokeAI's
 * `step_param_easing` node uses: `ease(step) = end * f(step / duration) + start * (1 - f(step / duration))`.
 */
import { pythonRound } from "./python-round.js";

/** The easing modes of InvokeAI's `step_param_easing` node, in its order. */
export const EASING_MODES = [
  "Linear",
  "QuadIn",
  "QuadOut",
  "QuadInOut",
  "CubicIn",
  "CubicOut",
  "CubicInOut",
  "QuarticIn",
  "QuarticOut",
  "QuarticInOut",
  "QuinticIn",
  "QuinticOut",
  "QuinticInOut",
  "SineIn",
  "SineOut",
  "SineInOut",
  "CircularIn",
  "CircularOut",
  "CircularInOut",
  "ExponentialIn",
  "ExponentialOut",
  "ExponentialInOut",
  "ElasticIn",
  "ElasticOut",
  "ElasticInOut",
  "BackIn",
  "BackOut",
  "BackInOut",
  "BounceIn",
  "BounceOut",
  "BounceInOut",
] as const;

/** One easing mode name. */
export type EasingMode = (typeof EASING_MODES)[number];

const { sin, cos, sqrt, pow, PI } = Math;

function bounceOut(t: number): number {
  if (t < 4 / 11) return (121 * t * t) / 16;
  if (t < 8 / 11) return (363 / 40.0) * t * t - (99 / 10.0) * t + 17 / 5.0;
  if (t < 9 / 10) return (4356 / 361.0) * t * t - (35442 / 1805.0) * t + 16061 / 1805.0;
  return (54 / 5.0) * t * t - (513 / 25.0) * t + 268 / 25.0;
}

const bounceIn = (t: number): number => 1 - bounceOut(1 - t);
const backCurve = (p: number): number => p * p * p - p * sin(p * PI);

/** The normalised curves f(t), t in [0, 1] (values may overshoot for Back and Elastic). */
export const EASING_CURVES: Readonly<Record<EasingMode, (t: number) => number>> = {
  Linear: (t) => t,
  QuadIn: (t) => t * t,
  QuadOut: (t) => -(t * (t - 2)),
  QuadInOut: (t) => (t < 0.5 ? 2 * t * t : -2 * t * t + 4 * t - 1),
  CubicIn: (t) => t * t * t,
  CubicOut: (t) => (t - 1) * (t - 1) * (t - 1) + 1,
  CubicInOut: (t) => {
    if (t < 0.5) return 4 * t * t * t;
    const p = 2 * t - 2;
    return 0.5 * p * p * p + 1;
  },
  QuarticIn: (t) => t * t * t * t,
  QuarticOut: (t) => (t - 1) * (t - 1) * (t - 1) * (1 - t) + 1,
  QuarticInOut: (t) => {
    if (t < 0.5) return 8 * t * t * t * t;
    const p = t - 1;
    return -8 * p * p * p * p + 1;
  },
  QuinticIn: (t) => t * t * t * t * t,
  QuinticOut: (t) => (t - 1) * (t - 1) * (t - 1) * (t - 1) * (t - 1) + 1,
  QuinticInOut: (t) => {
    if (t < 0.5) return 16 * t * t * t * t * t;
    const p = 2 * t - 2;
    return 0.5 * p * p * p * p * p + 1;
  },
  SineIn: (t) => sin(((t - 1) * PI) / 2) + 1,
  SineOut: (t) => sin((t * PI) / 2),
  SineInOut: (t) => 0.5 * (1 - cos(t * PI)),
  CircularIn: (t) => 1 - sqrt(1 - t * t),
  CircularOut: (t) => sqrt((2 - t) * t),
  CircularInOut: (t) => (t < 0.5 ? 0.5 * (1 - sqrt(1 - 4 * (t * t))) : 0.5 * (sqrt(-(2 * t - 3) * (2 * t - 1)) + 1)),
  ExponentialIn: (t) => (t === 0 ? 0 : pow(2, 10 * (t - 1))),
  ExponentialOut: (t) => (t === 1 ? 1 : 1 - pow(2, -10 * t)),
  ExponentialInOut: (t) => {
    if (t === 0 || t === 1) return t;
    return t < 0.5 ? 0.5 * pow(2, 20 * t - 10) : -0.5 * pow(2, -20 * t + 10) + 1;
  },
  ElasticIn: (t) => sin(((13 * PI) / 2) * t) * pow(2, 10 * (t - 1)),
  ElasticOut: (t) => sin(((-13 * PI) / 2) * (t + 1)) * pow(2, -10 * t) + 1,
  ElasticInOut: (t) =>
    t < 0.5
      ? 0.5 * sin(((13 * PI) / 2) * (2 * t)) * pow(2, 10 * (2 * t - 1))
      : 0.5 * (sin(((-13 * PI) / 2) * (2 * t - 1 + 1)) * pow(2, -10 * (2 * t - 1)) + 2),
  BackIn: (t) => backCurve(t),
  BackOut: (t) => 1 - backCurve(1 - t),
  BackInOut: (t) => (t < 0.5 ? 0.5 * backCurve(2 * t) : 0.5 * (1 - backCurve(1 - (2 * t - 1))) + 0.5),
  BounceIn: bounceIn,
  BounceOut: bounceOut,
  BounceInOut: (t) => (t < 0.5 ? 0.5 * bounceIn(t * 2) : 0.5 * bounceOut(t * 2 - 1) + 0.5),
};

/** `EasingClass(start, end, duration).ease(step)`; a zero duration eases straight to `start` (Python divides by zero). */
export function ease(mode: EasingMode, start: number, end: number, duration: number, step: number): number {
  const t = duration === 0 ? 0 : step / duration;
  const a = EASING_CURVES[mode](t);
  return end * a + start * (1 - a);
}

/** Options of InvokeAI's `step_param_easing` node, in its field names. */
export interface StepParamEasingOptions {
  readonly easing: EasingMode;
  readonly num_steps: number;
  readonly start_value: number;
  readonly end_value: number;
  readonly start_step_percent: number;
  readonly end_step_percent: number;
  readonly pre_start_value: number | null;
  readonly post_end_value: number | null;
  readonly mirror: boolean;
}

/** Per-step values for `num_steps` denoising steps, computed as InvokeAI's `step_param_easing` does. */
export function stepParamEasing(o: StepParamEasingOptions): number[] {
  // numpy rounds half to even (np.round), so 2.5 steps → 2.
  const startStep = pythonRound(o.num_steps * o.start_step_percent);
  const endStep = pythonRound((o.num_steps - 1) * o.end_step_percent);
  const easingSteps = Math.max(0, endStep - startStep + 1);
  const preSteps = Math.max(0, startStep);
  const postSteps = Math.max(0, o.num_steps - (preSteps + easingSteps));
  // InvokeAI fills these with None when no value is given, which its float list then rejects; the evident intent
  // (the comments in its source) is to hold the start/end value, which is what happens here.
  const pre = o.pre_start_value ?? o.start_value;
  const post = o.post_end_value ?? o.end_value;
  let eased: number[] = [];
  if (o.mirror) {
    const baseDuration = Math.ceil(easingSteps / 2);
    const base: number[] = [];
    for (let i = 0; i < baseDuration; i++) base.push(ease(o.easing, o.start_value, o.end_value, baseDuration - 1, i));
    const mirrored = easingSteps % 2 === 0 ? [...base].reverse() : base.slice(0, -1).reverse();
    eased = [...base, ...mirrored];
  } else {
    for (let i = 0; i < easingSteps; i++) eased.push(ease(o.easing, o.start_value, o.end_value, easingSteps - 1, i));
  }
  return [...new Array<number>(preSteps).fill(pre), ...eased, ...new Array<number>(postSteps).fill(post)];
}
