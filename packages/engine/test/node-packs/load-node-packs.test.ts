import { execFileSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  buildComponentSchemas,
  defineInvocation,
  getDefaultRegistry,
  IntegerOutput,
  InputField,
  NodeInputError,
  NodeRegistry,
  registerCoreNodes,
  runInvocation,
  z,
  type InvocationContext,
} from "@atelier/core";
import {
  findCorePackageDir,
  linkCorePackage,
  loadNodePacks,
  reloadNodePack,
  type NodePackLogger,
} from "@atelier/engine";
import { writeTranspiledCoreCopy } from "./transpiled-core-copy.js";

const realCoreDir = realpathSync(fileURLToPath(new URL("../../../core", import.meta.url)));
const noContext = {} as InvocationContext;

let root: string;
let coreCopyIndex: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "atelier-node-packs-"));
  coreCopyIndex = writeTranspiledCoreCopy(join(root, "core-copy"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function recordingLogger() {
  const lines: string[] = [];
  const logger: NodePackLogger = {
    info: (m) => lines.push(`info: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
  return { logger, lines };
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

let nodesDir: string;
let counter = 0;
beforeEach(() => {
  nodesDir = join(root, `nodes-${++counter}`);
});

/** A pack whose index.js exports one node computing `a * factor` (as integer_output). */
function writeMultiplyPack(pack: string, type: string, factor: number): void {
  writeFile(
    join(nodesDir, pack, "index.js"),
    `import { defineInvocation, InputField, IntegerOutput, z } from "@atelier/core";
export const Multiply = defineInvocation({
  type: ${JSON.stringify(type)},
  version: "1.0.0",
  inputs: { a: InputField(z.number().int().gte(0), { default: 1 }) },
  output: IntegerOutput,
  invoke() { return { value: this.a * ${factor} }; },
});
export const notANode = 42;
`,
  );
}

describe("loadNodePacks", () => {
  it("registers the nodes a pack exports under the pack's name, and they run", async () => {
    writeMultiplyPack("math_pack", "times_three", 3);
    const registry = new NodeRegistry();
    const { logger, lines } = recordingLogger();
    const report = await loadNodePacks(nodesDir, registry, logger, { corePackageDir: realCoreDir });
    expect(report).toEqual({
      loaded: [{ pack: "math_pack", nodeTypes: ["times_three"], outputTypes: [], warnings: [] }],
      failed: [],
      skipped: [],
    });
    const def = registry.get("times_three")!;
    expect(def.nodePack).toBe("math_pack");
    expect(await runInvocation(def, { id: "n", a: 5 }, noContext)).toEqual({ value: 15, type: "integer_output" });
    expect(registry.getOutput("integer_output")?.type).toBe("integer_output");
    expect(buildComponentSchemas(registry).TimesThreeInvocation).toMatchObject({ node_pack: "math_pack" });
    expect(lines).toContain("info: Loaded node pack math_pack: times_three");
  });

  it("logs and skips a pack that throws on import; the other packs still load", async () => {
    writeFile(join(nodesDir, "a_broken", "index.js"), `throw new Error("pack exploded");`);
    writeFile(join(nodesDir, "b_syntax", "index.js"), `export const = ;`);
    writeMultiplyPack("c_good", "times_two", 2);
    const registry = new NodeRegistry();
    const { logger, lines } = recordingLogger();
    const report = await loadNodePacks(nodesDir, registry, logger, { corePackageDir: realCoreDir });
    expect(report.loaded.map((p) => p.pack)).toEqual(["c_good"]);
    expect(report.failed.map((f) => f.pack)).toEqual(["a_broken", "b_syntax"]);
    expect(report.failed[0]!.error).toContain("pack exploded");
    expect(
      lines.some((l) => l.startsWith("error: Failed to load node pack a_broken: ") && l.includes("pack exploded")),
    ).toBe(true);
    expect(registry.get("times_two")).toBeDefined();
  });

  it("gives up on a pack that never finishes loading", async () => {
    writeFile(join(nodesDir, "stuck", "index.js"), `await new Promise(() => {});`);
    writeMultiplyPack("fine", "times_four", 4);
    const registry = new NodeRegistry();
    const { logger } = recordingLogger();
    const report = await loadNodePacks(nodesDir, registry, logger, { corePackageDir: realCoreDir, timeoutMs: 300 });
    expect(report.failed).toEqual([{ pack: "stuck", error: "node pack stuck did not finish loading within 300 ms" }]);
    expect(registry.get("times_four")).toBeDefined();
  });

  it("skips folders starting with _ or ., files, and folders without index.js", async () => {
    writeMultiplyPack("_disabled", "disabled_node", 1);
    writeMultiplyPack(".hidden", "hidden_node", 1);
    writeFile(join(nodesDir, "notes", "README.md"), "not a pack");
    writeFile(join(nodesDir, "loose-file.js"), `throw new Error("must not be imported");`);
    const registry = new NodeRegistry();
    const { logger } = recordingLogger();
    const report = await loadNodePacks(nodesDir, registry, logger, { corePackageDir: realCoreDir });
    expect(report.loaded).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(report.skipped).toEqual([".hidden", "_disabled", "loose-file.js", "notes"]);
    expect(registry.get("disabled_node")).toBeUndefined();
    expect(registry.get("hidden_node")).toBeUndefined();
  });

  it("lets a pack override a core node with a warning, and restores the core node when the pack goes", async () => {
    writeMultiplyPack("override_pack", "collect", 10);
    const registry = new NodeRegistry();
    registerCoreNodes(registry);
    const core = registry.get("collect");
    const { logger, lines } = recordingLogger();
    const report = await loadNodePacks(nodesDir, registry, logger, { corePackageDir: realCoreDir });
    expect(report.loaded[0]!.warnings).toEqual(["Overriding core node collect with pack override_pack"]);
    expect(lines).toContain("warning: Overriding core node collect with pack override_pack");
    expect(registry.get("collect")?.nodePack).toBe("override_pack");
    expect(registry.unregisterPack("override_pack")).toEqual(["collect"]);
    expect(registry.get("collect")).toBe(core);
  });

  it("unregisters a pack and reloads it from disk", async () => {
    writeMultiplyPack("reloadable", "scale", 2);
    const registry = new NodeRegistry();
    const { logger } = recordingLogger();
    await loadNodePacks(nodesDir, registry, logger, { corePackageDir: realCoreDir });
    expect((await runInvocation(registry.get("scale")!, { id: "n", a: 4 }, noContext)).value).toBe(8);

    writeMultiplyPack("reloadable", "scale", 5);
    const reloaded = await reloadNodePack(nodesDir, "reloadable", registry, logger);
    expect(reloaded.nodeTypes).toEqual(["scale"]);
    expect((await runInvocation(registry.get("scale")!, { id: "n", a: 4 }, noContext)).value).toBe(20);

    expect(registry.unregisterPack("reloadable")).toEqual(["scale"]);
    expect(registry.get("scale")).toBeUndefined();
  });

  it("lets a pack bring its own node_modules", async () => {
    writeFile(
      join(nodesDir, "with_deps", "node_modules", "tiny-dep", "package.json"),
      `{"name":"tiny-dep","type":"module","exports":"./index.js"}`,
    );
    writeFile(join(nodesDir, "with_deps", "node_modules", "tiny-dep", "index.js"), `export const factor = 7;`);
    writeFile(
      join(nodesDir, "with_deps", "index.js"),
      `import { defineInvocation, IntegerOutput } from "@atelier/core";
import { factor } from "tiny-dep";
export const Seven = defineInvocation({
  type: "seven", version: "1.0.0", inputs: {}, output: IntegerOutput, invoke: () => ({ value: factor }),
});
`,
    );
    const registry = new NodeRegistry();
    await loadNodePacks(nodesDir, registry, recordingLogger().logger, { corePackageDir: realCoreDir });
    expect((await runInvocation(registry.get("seven")!, { id: "n" }, noContext)).value).toBe(7);
  });
});

describe("a pack with its own copy of @atelier/core", () => {
  // Node resolves a pack's "@atelier/core" to <pack>/node_modules/@atelier/core when the pack ships one: a second
  // copy of core in the process. (vitest would resolve the bare name to the sources, so the pack names the file.)
  it("still registers into the process-wide registry and its nodes work with this copy's engine", async () => {
    const defaultRegistry = getDefaultRegistry();
    const ownCore = join(nodesDir, "own_core", "node_modules", "@atelier", "core");
    mkdirSync(dirname(ownCore), { recursive: true });
    symlinkSync(dirname(dirname(coreCopyIndex)), ownCore, "junction");
    writeFile(
      join(nodesDir, "own_core", "index.js"),
      `import * as core from ${JSON.stringify(pathToFileURL(coreCopyIndex).href)};
const { defineInvocation, InputField, ImageField, IntegerOutput, z, getDefaultRegistry } = core;
export const Width = defineInvocation({
  type: "own_core_width",
  version: "1.0.0",
  inputs: { image: InputField(ImageField), width: InputField(z.number().int().gte(8), { default: 64 }) },
  output: IntegerOutput,
  invoke() { return { value: this.width }; },
});
// Registered by the pack itself, through its own copy of core.
getDefaultRegistry().register(defineInvocation({
  type: "own_core_self_registered", version: "1.0.0", inputs: {}, output: IntegerOutput, invoke: () => ({ value: 1 }),
}), { nodePack: "own_core" });
export const copyRegistry = getDefaultRegistry();
export const copyDefineInvocation = defineInvocation;
`,
    );
    let packModule: Record<string, unknown> = {};
    const registry = new NodeRegistry();
    const report = await loadNodePacks(nodesDir, registry, recordingLogger().logger, {
      corePackageDir: realCoreDir,
      importModule: async (url) => (packModule = (await import(/* @vite-ignore */ url)) as Record<string, unknown>),
    });
    expect(report.loaded.map((p) => p.nodeTypes)).toEqual([["own_core_width"]]);

    // It really is another copy of core...
    expect(packModule.copyDefineInvocation).not.toBe(defineInvocation);
    // ...sharing the process-wide registry.
    expect(packModule.copyRegistry).toBe(defaultRegistry);
    expect(defaultRegistry.get("own_core_self_registered")?.nodePack).toBe("own_core");

    const def = registry.get("own_core_width")!;
    expect(def.nodePack).toBe("own_core");
    expect(def.inputs.image!.type).toEqual({ kind: "ref", name: "ImageField" });
    expect(await runInvocation(def, { id: "n", image: { image_name: "a.png" } }, noContext)).toEqual({
      value: 64,
      type: "integer_output",
    });
    // Errors come from this copy of core, so the engine recognises them.
    await expect(runInvocation(def, { id: "n", image: { image_name: "a.png" }, width: 4 }, noContext)).rejects.toThrow(
      NodeInputError,
    );
    expect(def.validateValues({ width: 4 })).toEqual([{ field: "width", value: 4, message: "must be ≥ 8" }]);
    const schema = buildComponentSchemas(registry).OwnCoreWidthInvocation as { properties: Record<string, unknown> };
    expect(schema.properties.image).toMatchObject({
      anyOf: [{ $ref: "#/components/schemas/ImageField" }, { type: "null" }],
    });
  });

  it("lets this copy of core register nodes defined with the other copy", () => {
    const local = defineInvocation({
      type: "local_node",
      version: "1.0.0",
      inputs: { a: InputField(z.number()) },
      output: IntegerOutput,
      invoke: () => ({ value: 0 }),
    });
    expect(getDefaultRegistry().register(local)).toBeUndefined();
  });
});

describe("the @atelier/core link", () => {
  it("is created, kept, and refreshed when it points elsewhere", () => {
    mkdirSync(nodesDir, { recursive: true });
    const link = join(nodesDir, "node_modules", "@atelier", "core");
    expect(linkCorePackage(nodesDir, realCoreDir)).toBe("created");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(realCoreDir);
    expect(linkCorePackage(nodesDir, realCoreDir)).toBe("kept");
    expect(linkCorePackage(nodesDir, dirname(dirname(coreCopyIndex)))).toBe("refreshed");
    expect(realpathSync(readlinkSync(link))).toBe(realpathSync(dirname(dirname(coreCopyIndex))));
  });

  it("leaves a real folder in its place alone, with a warning", async () => {
    mkdirSync(join(nodesDir, "node_modules", "@atelier", "core"), { recursive: true });
    const { logger, lines } = recordingLogger();
    await loadNodePacks(nodesDir, new NodeRegistry(), logger, { corePackageDir: realCoreDir });
    expect(lines.some((l) => l.startsWith("warning:") && l.includes("is a folder, not a link"))).toBe(true);
  });

  it("finds the core package this engine runs with", () => {
    expect(findCorePackageDir()).toBe(realCoreDir);
  });

  it("makes Node resolve a pack's @atelier/core to the linked package, wherever the nodes folder is", () => {
    // A plain Node process (no vitest resolution): the pack's bare import must find the link by walking up.
    writeMultiplyPack("native_pack", "times_nine", 9);
    writeFile(join(nodesDir, "native_pack", "core-of-pack.js"), `export * as core from "@atelier/core";`);
    linkCorePackage(nodesDir, dirname(dirname(coreCopyIndex)));
    const script = `
const pack = await import(${JSON.stringify(pathToFileURL(join(nodesDir, "native_pack", "index.js")).href)});
const { core: packCore } = await import(${JSON.stringify(pathToFileURL(join(nodesDir, "native_pack", "core-of-pack.js")).href)});
const linkedCore = await import(${JSON.stringify(pathToFileURL(coreCopyIndex).href)});
const out = await linkedCore.runInvocation(pack.Multiply, { id: "n", a: 3 }, {});
console.log(JSON.stringify({ sameCore: packCore === linkedCore, out }));
`;
    const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    expect(JSON.parse(stdout)).toEqual({ sameCore: true, out: { value: 27, type: "integer_output" } });
  });
});
