import type { OnnxInitializer, OnnxModelFile, OnnxNode } from "./onnx-model-file.js";

// Which initializer holds the weight of which torch module. torch.onnx keeps parameter names for weights that Conv
// and Gemm consume (`m.down_blocks.0.attentions.0.proj_in.weight`) but folds a Linear that runs as MatMul into an
// anonymous, transposed initializer (`onnx::MatMul_2381`). Node names keep the module scope in both cases
// (`/m/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul`), so the module path comes from the node
// that consumes the initializer. Exporters wrap the model in an outer module (`m.` here, none in optimum's
// exports), so modules are also indexed by every dotted suffix that names exactly one of them.

/** How a module's weight is laid out in its initializer. */
export type OnnxWeightLayout =
  /** torch's layout, `[out, in]` or `[out, in, kh, kw]` (Conv, Gemm with transB = 1). */
  | "torch"
  /** `[in, out]` (MatMul's B input, Gemm with transB = 0). */
  | "transposed";

/** The weight of one module. */
export interface OnnxModuleWeight {
  /** The module path as the graph names it (wrapper prefix included). */
  readonly module: string;
  readonly initializer: OnnxInitializer;
  readonly layout: OnnxWeightLayout;
  /** `[out, in, ...kernel]`: the torch shape of the weight, whatever its layout in the file. */
  readonly torchShape: readonly number[];
}

/** Module weights by path; lookups accept the full path or any suffix that names one module. */
export interface OnnxWeightIndex {
  readonly modules: ReadonlyMap<string, OnnxModuleWeight>;
  /** The module whose path is `path` or ends with `.path`, when exactly one does. */
  find(path: string): OnnxModuleWeight | undefined;
  /** Like `find`, with `_` for every `.` (kohya's flattened names). */
  findFlat(flatPath: string): OnnxModuleWeight | undefined;
}

const WEIGHT_OPS = new Set(["Conv", "Gemm", "MatMul"]);

/** The module scope of a node name: `/m/a.0/b/MatMul` → `m.a.0.b`. */
function moduleOfNodeName(name: string): string | undefined {
  const parts = name.split("/").filter((p) => p.length > 0);
  if (parts.length < 2) return undefined;
  return parts.slice(0, -1).join(".");
}

function weightOf(node: OnnxNode, init: OnnxInitializer): Omit<OnnxModuleWeight, "module"> | undefined {
  if (node.opType === "Conv") {
    if (init.dims.length < 3) return undefined;
    return { initializer: init, layout: "torch", torchShape: init.dims };
  }
  if (init.dims.length !== 2) return undefined;
  const [a, b] = init.dims as [number, number];
  const transposed = node.opType === "MatMul" || (node.intAttributes.transB ?? 0) === 0;
  return transposed
    ? { initializer: init, layout: "transposed", torchShape: [b, a] }
    : { initializer: init, layout: "torch", torchShape: [a, b] };
}

/** Indexes the weights of Conv, Gemm and MatMul nodes of a model by module path. */
export function indexOnnxWeights(model: OnnxModelFile): OnnxWeightIndex {
  const initializers = new Map(model.initializers.map((i) => [i.name, i]));
  const modules = new Map<string, OnnxModuleWeight>();
  for (const node of model.nodes) {
    if (!WEIGHT_OPS.has(node.opType)) continue;
    const init = initializers.get(node.inputs[1] ?? "");
    if (init === undefined) continue;
    const named = init.name.endsWith(".weight") ? init.name.slice(0, -".weight".length) : undefined;
    const module = named ?? moduleOfNodeName(node.name);
    if (module === undefined || modules.has(module)) continue;
    const weight = weightOf(node, init);
    if (weight !== undefined) modules.set(module, { module, ...weight });
  }
  // Every dotted suffix of every module path; a suffix two modules share names neither (null).
  const bySuffix = new Map<string, OnnxModuleWeight | null>();
  const byFlatSuffix = new Map<string, OnnxModuleWeight | null>();
  const add = (map: Map<string, OnnxModuleWeight | null>, key: string, weight: OnnxModuleWeight) => {
    const seen = map.get(key);
    map.set(key, seen === undefined || seen === weight ? weight : null);
  };
  for (const weight of modules.values()) {
    const parts = weight.module.split(".");
    for (let i = 0; i < parts.length; i++) {
      const suffix = parts.slice(i).join(".");
      add(bySuffix, suffix, weight);
      add(byFlatSuffix, suffix.replaceAll(".", "_"), weight);
    }
  }
  return {
    modules,
    find: (path) => modules.get(path) ?? bySuffix.get(path) ?? undefined,
    findFlat: (flat) => byFlatSuffix.get(flat) ?? undefined,
  };
}
