/**
 * The tokenizers and schedulers the generation nodes drive. They live in @atelier/engine, which nodes may not
 * import, so the process that runs the nodes hands them over once at start-up (`provideDiffusionToolkit`); the
 * interfaces here are the structural subset the nodes call, which the engine's classes satisfy as they are.
 */
import type { TorchCpuGenerator } from "@atelier/core";
import { DiffusionToolkitMissingError } from "./generation-errors.js";

/** A text tokenizer (the engine's TextTokenizer). */
export interface PromptTokenizer {
  /** Framed, truncated and padded ids (CLIP: 77; `maxLength` overrides the tokenizer's, e.g. T5's 256/512). */
  tokenize(
    text: string,
    options?: { readonly maxLength?: number },
  ): { readonly ids: readonly number[]; readonly untruncatedLength: number };
  /** Long prompts as Compel feeds them: chunks of 75 content tokens, each framed and padded. */
  tokenizeChunks(text: string): number[][];
}

/** A noise scheduler (the engine's Scheduler), as the denoise loop uses it. */
export interface DenoiseScheduler {
  readonly className: string;
  readonly order: number;
  readonly initNoiseSigma: number;
  /** The model calls to run, trimmed to the denoising range. */
  readonly timesteps: readonly number[];
  readonly initTimestep: number | undefined;
  setTimesteps(steps: number, options?: { readonly denoisingStart?: number; readonly denoisingEnd?: number }): void;
  scaleModelInput(sample: Float32Array, t: number): Float32Array;
  step(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    options?: { readonly generator?: TorchCpuGenerator; readonly eta?: number },
  ): { readonly prevSample: Float32Array; readonly predOriginalSample?: Float32Array };
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;
}

/** What the process provides: tokenizer loading and scheduler construction. */
export interface DiffusionToolkit {
  /** Loads a tokenizer folder (`tokenizer.json` + configs). */
  loadTokenizer(folder: string): Promise<PromptTokenizer>;
  /** A scheduler by InvokeAI name from a model's scheduler_config.json, plus overrides. */
  createScheduler(
    name: string,
    schedulerConfig: Readonly<Record<string, unknown>>,
    overrides?: Readonly<Record<string, unknown>>,
  ): DenoiseScheduler;
}

let provided: DiffusionToolkit | null = null;

/** Hands the generation nodes their tokenizer/scheduler implementations (call once at start-up). */
export function provideDiffusionToolkit(toolkit: DiffusionToolkit | null): void {
  provided = toolkit;
}

/** The provided toolkit; a typed error naming the node when none was provided. */
export function diffusionToolkit(nodeType: string): DiffusionToolkit {
  if (provided === null) throw new DiffusionToolkitMissingError(nodeType);
  return provided;
}
