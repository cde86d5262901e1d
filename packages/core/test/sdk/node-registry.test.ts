import { describe, expect, it } from "vitest";
import {
  CORE_NODE_PACK,
  defineInvocation,
  defineOutput,
  getDefaultRegistry,
  ImageOutput,
  InputField,
  IntegerOutput,
  IterateInvocation,
  NodeDefinitionError,
  NodeRegistry,
  OutputField,
  registerCoreNodes,
  registerModuleExports,
  StringOutput,
  z,
} from "@atelier/core";

function node(type: string, output: typeof IntegerOutput | typeof StringOutput = IntegerOutput) {
  return defineInvocation({
    type,
    version: "1.0.0",
    inputs: { a: InputField(z.number().int(), { default: 0 }) },
    output,
    invoke: () => ({ value: 1 }) as never,
  });
}

function registryWithWarnings() {
  const warnings: string[] = [];
  const registry = new NodeRegistry({ logger: { warning: (m) => warnings.push(m) } });
  return { registry, warnings };
}

describe("NodeRegistry", () => {
  it("registers nodes with their outputs and looks them up by type", () => {
    const registry = new NodeRegistry();
    registry.register(node("add"));
    expect(registry.get("add")?.type).toBe("add");
    expect(registry.get("add")?.nodePack).toBe(CORE_NODE_PACK);
    expect(registry.get("nope")).toBeUndefined();
    expect(registry.getOutput("integer_output")).toBe(IntegerOutput);
    expect(registry.list().map((d) => d.type)).toEqual(["add"]);
  });

  it("replaces an existing type with a warning naming the pack, and restores it when the pack goes", () => {
    const { registry, warnings } = registryWithWarnings();
    const core = node("add");
    registry.register(core);
    const warning = registry.register(node("add"), { nodePack: "better_math" });
    expect(warning).toBe("Overriding core node add with pack better_math");
    expect(warnings).toEqual([warning]);
    expect(registry.get("add")?.nodePack).toBe("better_math");

    expect(registry.unregisterPack("better_math")).toEqual(["add"]);
    expect(registry.get("add")).toBe(core);
  });

  it("names the pack of a non-core node it replaces", () => {
    const { registry } = registryWithWarnings();
    registry.register(node("x"), { nodePack: "pack_a" });
    expect(registry.register(node("x"), { nodePack: "pack_b" })).toBe(
      "Overriding node (pack pack_a) x with pack pack_b",
    );
  });

  it("unregisters a pack's nodes and the outputs only it used", () => {
    const registry = new NodeRegistry();
    const PackOutput = defineOutput({ type: "pack_output", fields: { v: OutputField(z.string()) } });
    const packNode = defineInvocation({
      type: "pack_node",
      version: "1.0.0",
      inputs: {},
      output: PackOutput,
      invoke: () => ({ v: "" }),
    });
    registry.register(node("core_node"));
    registry.register(packNode, { nodePack: "p" });
    registry.register(node("pack_int"), { nodePack: "p" });
    expect(registry.listPacks()).toEqual(["invokeai", "p"]);
    expect(registry.unregisterPack("p").sort()).toEqual(["pack_int", "pack_node"]);
    expect(registry.get("pack_node")).toBeUndefined();
    expect(registry.getOutput("pack_output")).toBeUndefined();
    expect(registry.getOutput("integer_output")).toBe(IntegerOutput);
    expect(registry.list().map((d) => d.type)).toEqual(["core_node"]);
  });

  it("keeps an output a remaining node still uses when the pack that brought it goes", () => {
    const registry = new NodeRegistry();
    registry.register(node("from_pack", StringOutput), { nodePack: "p" });
    registry.register(node("from_core", StringOutput));
    registry.unregisterPack("p");
    expect(registry.getOutput("string_output")).toBe(StringOutput);
  });

  it("applies allow_nodes and deny_nodes like InvokeAI", () => {
    const registry = new NodeRegistry();
    for (const t of ["a", "b", "c"]) registry.register(node(t));
    registry.setFilter({ allowNodes: ["a", "b"] });
    expect(registry.list().map((d) => d.type)).toEqual(["a", "b"]);
    expect(registry.get("c")).toBeUndefined();
    registry.setFilter({ allowNodes: ["a", "b"], denyNodes: ["b"] });
    expect(registry.list().map((d) => d.type)).toEqual(["a"]);
    expect(registry.isAllowed("b")).toBe(false);
    expect(registry.getUnfiltered("b")?.type).toBe("b");
    registry.setFilter({ allowNodes: null, denyNodes: ["a"] });
    expect(registry.list().map((d) => d.type)).toEqual(["b", "c"]);
    registry.setFilter({});
    expect(registry.list()).toHaveLength(3);
  });

  it("refuses things that are not node or output definitions", () => {
    const registry = new NodeRegistry();
    expect(() => registry.register({ type: "fake" } as never)).toThrow(NodeDefinitionError);
    expect(() => registry.registerOutput({ type: "fake" } as never)).toThrow(NodeDefinitionError);
  });

  it("registers the node and output definitions found in a module's exports", () => {
    const registry = new NodeRegistry();
    const Extra = defineOutput({ type: "extra_output", fields: {} });
    const types = registerModuleExports(
      registry,
      { A: node("mod_a"), B: node("mod_b"), Extra, other: 42, z },
      {
        nodePack: "mod",
      },
    );
    expect(types).toEqual(["mod_a", "mod_b"]);
    expect(registry.get("mod_a")?.nodePack).toBe("mod");
    expect(registry.getOutput("extra_output")).toBe(Extra);
  });

  it("serves as the NodeTypeLookup of graph code", () => {
    const registry = new NodeRegistry();
    registerCoreNodes(registry);
    const info = registry.get("iterate")!;
    expect(info.outputType).toBe("iterate_output");
    expect(info.inputs.collection!.type).toEqual({ kind: "list", item: { kind: "any" } });
    expect(info.outputs.item!.type).toEqual({ kind: "any" });
    expect(registry.getOutput("image_output")).toBe(ImageOutput);
  });
});

describe("getDefaultRegistry", () => {
  it("is one registry per process, kept on globalThis, with the core nodes", () => {
    const registry = getDefaultRegistry();
    expect(getDefaultRegistry()).toBe(registry);
    expect((globalThis as Record<symbol, unknown>)[Symbol.for("atelier.registry")]).toBe(registry);
    expect(registry.get("iterate")).toBe(IterateInvocation);
    expect(registry.get("collect")?.type).toBe("collect");
    expect(registry.get("if")?.type).toBe("if");
  });
});
