/**
 * Text to image on each tiny pipeline of ../shared/fixtures/diffusion (20 steps, 64×64) through the real queue:
 * total time per run, the time inside onnxruntime's `session.run`, the time Atelier spends outside it (per step
 * and as a share of the run), and peak RSS. Models are installed once and stay in the model cache between runs
 * (the first run, which loads them, is reported apart). Run: `npx tsx bench/generation.bench.ts` (`RUNS=n`).
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSourceAliases, median } from "./queue-bench-support.js";

ensureSourceAliases(import.meta.url);

const core = await import("@atelier/core");
const engine = await import("@atelier/engine");
const nodes = await import("@atelier/nodes");
const ort = await import("onnxruntime-node");

const FIXTURES = join(import.meta.dirname, "../../shared/fixtures/diffusion");
const RUNS = Number(process.env.RUNS ?? 5);
const STEPS = 20;

// Time inside onnxruntime: every session's run() goes through the prototype.
let insideMs = 0;
let calls = 0;
const proto = ort.InferenceSession.prototype as unknown as { run: (...args: unknown[]) => Promise<unknown> };
const originalRun = proto.run;
proto.run = async function timedRun(this: unknown, ...args: unknown[]) {
  const start = performance.now();
  try {
    return await originalRun.apply(this, args);
  } finally {
    insideMs += performance.now() - start;
    calls++;
  }
};

type Identifier = Record<string, unknown>;
const edge = (from: string, out: string, to: string, input: string) => ({
  source: { node_id: from, field: out },
  destination: { node_id: to, field: input },
});

function sdGraph(model: Identifier, loader: string, prompt: string): Record<string, unknown> {
  const xl = loader === "sdxl_model_loader";
  const compel = xl ? "sdxl_compel_prompt" : "compel";
  const clipEdges = (to: string) =>
    xl
      ? [edge("loader", "clip", to, "clip"), edge("loader", "clip2", to, "clip2")]
      : [edge("loader", "clip", to, "clip")];
  return {
    id: "bench",
    nodes: {
      loader: { id: "loader", type: loader, model },
      pos: { id: "pos", type: compel, prompt, ...(xl ? { style: prompt } : {}) },
      neg: { id: "neg", type: compel, prompt: "blurry", ...(xl ? { style: "blurry" } : {}) },
      noise: { id: "noise", type: "noise", seed: 42, width: 64, height: 64 },
      denoise: { id: "denoise", type: "denoise_latents", steps: STEPS, cfg_scale: 7.5, scheduler: "euler" },
      decode: { id: "decode", type: "l2i" },
    },
    edges: [
      ...clipEdges("pos"),
      ...clipEdges("neg"),
      edge("loader", "unet", "denoise", "unet"),
      edge("loader", "vae", "decode", "vae"),
      edge("pos", "conditioning", "denoise", "positive_conditioning"),
      edge("neg", "conditioning", "denoise", "negative_conditioning"),
      edge("noise", "noise", "denoise", "noise"),
      edge("denoise", "latents", "decode", "latents"),
    ],
  };
}

function fluxGraph(model: Identifier, prompt: string): Record<string, unknown> {
  return {
    id: "bench",
    nodes: {
      loader: { id: "loader", type: "flux_model_loader", model },
      text: { id: "text", type: "flux_text_encoder", prompt },
      denoise: {
        id: "denoise",
        type: "flux_denoise",
        num_steps: STEPS,
        guidance: 3.5,
        seed: 42,
        width: 64,
        height: 64,
      },
      decode: { id: "decode", type: "flux_vae_decode" },
    },
    edges: [
      edge("loader", "clip", "text", "clip"),
      edge("loader", "t5_encoder", "text", "t5_encoder"),
      edge("loader", "max_seq_len", "text", "t5_max_seq_len"),
      edge("loader", "transformer", "denoise", "transformer"),
      edge("loader", "vae", "decode", "vae"),
      edge("text", "conditioning", "denoise", "positive_text_conditioning"),
      edge("denoise", "latents", "decode", "latents"),
    ],
  };
}

const root = await mkdtemp(join(tmpdir(), "atelier-gen-bench-"));
try {
  const registry = new core.NodeRegistry();
  core.registerCoreNodes(registry);
  for (const def of nodes.BUILTIN_NODES) registry.register(def);
  nodes.provideDiffusionToolkit({ loadTokenizer: engine.loadTokenizer, createScheduler: engine.createScheduler });
  const services = await engine.createServices({
    env: {},
    loadNodePacks: false,
    registry,
    root,
    overrides: { log_level: "error" },
    logDestination: { write: () => undefined },
  });
  const rt = await engine.createQueueRuntime(services, { pollIntervalMs: 5 });
  const install = async (pipeline: string): Promise<Identifier> => {
    const source = join(root, "incoming", pipeline);
    await cp(join(FIXTURES, pipeline, "onnx"), source, { recursive: true });
    const config = await services.models.install.installPath(source, { name: pipeline });
    return { key: config.key, hash: config.hash, name: config.name, base: config.base, type: config.type };
  };
  const runOnce = async (graph: Record<string, unknown>) => {
    // Every node runs every time: the invocation cache would answer repeated runs without running the models.
    const nodes = graph.nodes as Record<string, Record<string, unknown>>;
    for (const node of Object.values(nodes)) node.use_cache = false;
    insideMs = 0;
    calls = 0;
    const start = performance.now();
    // Ends on the item's status event (no polling, which would add its own latency to the figures).
    let itemId = -1;
    // The denoise node alone: its wall time and the session.run time inside it.
    let denoiseStart = 0;
    let insideAtDenoiseStart = 0;
    let denoiseWall = 0;
    let denoiseInside = 0;
    const ended = new Promise<string>((resolve) => {
      const off = services.events.onAny((event) => {
        const payload = event.payload as {
          item_id?: number;
          status?: string;
          error_message?: string | null;
          invocation_source_id?: string;
        };
        if (payload.invocation_source_id === "denoise" && event.name === "invocation_started") {
          denoiseStart = performance.now();
          insideAtDenoiseStart = insideMs;
        } else if (payload.invocation_source_id === "denoise" && event.name === "invocation_complete") {
          denoiseWall = performance.now() - denoiseStart;
          denoiseInside = insideMs - insideAtDenoiseStart;
        }
        if (event.name !== "queue_item_status_changed" || payload.item_id !== itemId) return;
        if (payload.status === "completed" || payload.status === "failed" || payload.status === "canceled") {
          off();
          resolve(payload.status === "completed" ? "completed" : `${payload.status}: ${payload.error_message ?? ""}`);
        }
      });
    });
    const {
      item_ids: [id],
    } = await rt.queue.enqueueBatch("default", { graph, runs: 1 });
    itemId = id!;
    const status = await ended;
    if (status !== "completed") throw new Error(`run ${status}`);
    return { total: performance.now() - start, inside: insideMs, calls, loop: denoiseWall - denoiseInside };
  };

  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} on ${availableParallelism()} cores; onnxruntime ${ort.env.versions.common}`,
  );
  const { intra, inter, optimization } = engine.onnxSessionSettings(services.config);
  console.log(
    `onnxruntime session settings: intra-op threads ${intra === 0 ? "default (one per core)" : intra}, ` +
      `inter-op threads ${inter === 0 ? "default" : inter}, graph optimization "${optimization}", sequential execution`,
  );
  console.log(`${STEPS} steps, 64×64, ${RUNS} runs after one warm-up (model loads) run\n`);
  const header = `${"pipeline".padEnd(10)} ${"first run".padStart(10)} ${"run (median)".padStart(13)} ${"in session.run".padStart(15)} ${"outside".padStart(9)} ${"outside/step".padStart(13)} ${"share".padStart(6)}`;
  console.log(header);
  const pipelines: [string, (m: Identifier) => Record<string, unknown>, string][] = [
    ["tiny-sd15", (m) => sdGraph(m, "main_model_loader", "a lighthouse"), "main_model_loader"],
    ["tiny-sdxl", (m) => sdGraph(m, "sdxl_model_loader", "a lighthouse"), "sdxl_model_loader"],
    ["tiny-flux", (m) => fluxGraph(m, "a lighthouse"), "flux_model_loader"],
  ];
  for (const [pipeline, graphOf, loaderType] of pipelines) {
    if (registry.get(loaderType) === undefined) {
      console.log(`${pipeline.padEnd(10)} (skipped: no ${loaderType} node)`);
      continue;
    }
    const graph = graphOf(await install(pipeline));
    const first = await runOnce(graph);
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await runOnce(graph));
    const total = median(runs.map((r) => r.total));
    const inside = median(runs.map((r) => r.inside));
    const outside = median(runs.map((r) => r.total - r.inside));
    const loop = median(runs.map((r) => r.loop));
    console.log(
      `${pipeline.padEnd(10)} ${`${first.total.toFixed(0)} ms`.padStart(10)} ${`${total.toFixed(1)} ms`.padStart(13)} ` +
        `${`${inside.toFixed(1)} ms`.padStart(15)} ${`${outside.toFixed(1)} ms`.padStart(9)} ` +
        `${`${(outside / STEPS).toFixed(2)} ms`.padStart(13)} ${`${((outside / total) * 100).toFixed(1)}%`.padStart(6)}` +
        `   (${runs[0]!.calls} session.run calls)\n${"".padEnd(11)}denoise loop outside session.run: ${(loop / STEPS).toFixed(2)} ms/step = ${((loop / total) * 100).toFixed(1)}% of the run`,
    );
  }
  console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  console.log("Target: Atelier's time outside session.run per step ≤ 5% of the run.");
  await rt.close();
  await services.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
