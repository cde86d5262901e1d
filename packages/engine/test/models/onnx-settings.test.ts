// onnxruntime session settings come from the config, are validated there, and reach every session created later.
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  currentOnnxSessionSettings,
  loadConfig,
  onnxSessionOptions,
  onnxSessionSettings,
  useOnnxSessionSettings,
} from "@atelier/engine";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("onnxruntime session settings", () => {
  it("default to onnxruntime's thread defaults, sequential execution and every graph optimization", () => {
    const root = mkdtempSync(join(tmpdir(), "atelier-onnx-"));
    try {
      const config = loadConfig({ root, env: {} });
      expect(onnxSessionSettings(config)).toEqual({ intra: 0, inter: 0, optimization: "all" });
      expect(onnxSessionOptions(onnxSessionSettings(config))).toEqual({
        graphOptimizationLevel: "all",
        executionMode: "sequential",
      });
      const tuned = loadConfig({
        root,
        env: { ATELIER_ONNX_INTRA_OP_THREADS: "2", ATELIER_ONNX_GRAPH_OPTIMIZATION: "basic" },
      });
      expect(onnxSessionOptions(onnxSessionSettings(tuned))).toEqual({
        graphOptimizationLevel: "basic",
        executionMode: "sequential",
        intraOpNumThreads: 2,
      });
      expect(() => loadConfig({ root, env: { ATELIER_ONNX_GRAPH_OPTIMIZATION: "fast" } })).toThrow(ConfigError);
      expect(() => loadConfig({ root, env: { ATELIER_ONNX_INTRA_OP_THREADS: "-1" } })).toThrow(/onnx_intra_op_threads/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("are process-wide once set", () => {
    const before = currentOnnxSessionSettings();
    try {
      useOnnxSessionSettings({ intra: 1, inter: 0, optimization: "extended" });
      expect(currentOnnxSessionSettings()).toEqual({ intra: 1, inter: 0, optimization: "extended" });
    } finally {
      useOnnxSessionSettings(before);
    }
  });
});
