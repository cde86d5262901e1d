/**
 * onnxruntime session options from the config. Defaults suit a small CPU machine: one intra-op thread per
 * physical core (onnxruntime's own default), sequential execution (the diffusion parts are chains of large
 * operators, where running operators side by side only makes the threads compete), and every graph optimization.
 */
import type { InferenceSession } from "onnxruntime-node";
import type { AtelierConfig } from "../../config/index.js";

/** The onnxruntime settings the config asks for. */
export interface OnnxSessionSettings {
  /** 0 = onnxruntime's default (one per physical core). */
  readonly intra: number;
  /** 0 = onnxruntime's default; used only in parallel execution mode. */
  readonly inter: number;
  readonly optimization: "disabled" | "basic" | "extended" | "all";
}

/** The settings of `config` (`onnx_intra_op_threads`, `onnx_inter_op_threads`, `onnx_graph_optimization`). */
export function onnxSessionSettings(
  config: Pick<AtelierConfig, "onnx_intra_op_threads" | "onnx_inter_op_threads" | "onnx_graph_optimization">,
): OnnxSessionSettings {
  return {
    intra: config.onnx_intra_op_threads,
    inter: config.onnx_inter_op_threads,
    optimization: config.onnx_graph_optimization,
  };
}

const DEFAULT_SETTINGS: OnnxSessionSettings = { intra: 0, inter: 0, optimization: "all" };
let current: OnnxSessionSettings = DEFAULT_SETTINGS;

/**
 * Sets the settings every onnxruntime session created from now on gets. Process-wide, like onnxruntime's own
 * thread pools: the model manager applies its config when it is created.
 */
export function useOnnxSessionSettings(settings: OnnxSessionSettings): void {
  current = settings;
}

/** The settings sessions are created with now. */
export function currentOnnxSessionSettings(): OnnxSessionSettings {
  return current;
}

/** The session options for these settings (execution providers are added by the caller). */
export function onnxSessionOptions(settings: OnnxSessionSettings): InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: settings.optimization,
    executionMode: "sequential",
    ...(settings.intra > 0 ? { intraOpNumThreads: settings.intra } : {}),
    ...(settings.inter > 0 ? { interOpNumThreads: settings.inter } : {}),
  };
}
