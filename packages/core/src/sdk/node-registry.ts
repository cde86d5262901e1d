import type { NodeTypeLookup } from "../node-type-info.js";
import { COMMON_OUTPUTS } from "./common-outputs.js";
import { isInvocationDefinition, withNodePack, type AnyInvocationDefinition } from "./define-invocation.js";
import { isOutputDefinition, type OutputDefinition } from "./define-output.js";
import { NodeDefinitionError } from "./node-errors.js";
import { SPECIAL_INVOCATIONS } from "./special-nodes.js";

/** Where the registry reports overrides. */
export interface RegistryLogger {
  warning(message: string): void;
}

/** The config's `allow_nodes` / `deny_nodes`: `null`/absent means "no list". */
export interface NodeFilter {
  readonly allowNodes?: readonly string[] | null;
  readonly denyNodes?: readonly string[] | null;
}

/** The node pack of the core and built-in nodes (InvokeAI's UI expects this name). */
export const CORE_NODE_PACK = "invokeai";

interface OutputEntry {
  readonly definition: OutputDefinition;
  readonly nodePack: string;
}

/**
 * The node and output types the application knows (InvokeAI's InvocationRegistry). Registering a type that exists
 * replaces it with a warning; the replaced definition comes back when the overriding pack is unregistered.
 * `get` and `list` honour the allow/deny lists, so a denied node is unknown to graphs.
 */
export class NodeRegistry implements NodeTypeLookup {
  readonly #nodes = new Map<string, AnyInvocationDefinition>();
  /** Definitions hidden by an override, restored when the overriding pack goes. */
  readonly #shadowed = new Map<string, AnyInvocationDefinition[]>();
  readonly #outputs = new Map<string, OutputEntry>();
  #allow: ReadonlySet<string> | null = null;
  #deny: ReadonlySet<string> = new Set();
  #logger: RegistryLogger | undefined;

  constructor(options: { logger?: RegistryLogger } = {}) {
    this.#logger = options.logger;
  }

  /** Sets where override warnings go. */
  setLogger(logger: RegistryLogger | undefined): void {
    this.#logger = logger;
  }

  /**
   * Registers a node type (and its output type), as belonging to `nodePack` (default: the definition's own).
   * Returns a warning when it replaces an existing type, e.g. "Overriding core node img_resize with pack foo".
   */
  register(definition: AnyInvocationDefinition, options: { nodePack?: string } = {}): string | undefined {
    if (!isInvocationDefinition(definition)) {
      throw new NodeDefinitionError("Only node types made with defineInvocation(...) can be registered");
    }
    const def = options.nodePack === undefined ? definition : withNodePack(definition, options.nodePack);
    let warning: string | undefined;
    const existing = this.#nodes.get(def.type);
    if (existing !== undefined && existing !== def) {
      const what = existing.nodePack === CORE_NODE_PACK ? "core node" : `node (pack ${existing.nodePack})`;
      warning = `Overriding ${what} ${def.type} with pack ${def.nodePack}`;
      if (existing.nodePack !== def.nodePack) {
        this.#shadowed.set(def.type, [...(this.#shadowed.get(def.type) ?? []), existing]);
      }
      this.#logger?.warning(warning);
    }
    this.#nodes.set(def.type, def);
    this.#registerOutputFor(def.output, def.nodePack);
    return warning;
  }

  /** Registers an output type on its own (outputs of registered nodes are registered with them). */
  registerOutput(output: OutputDefinition, options: { nodePack?: string } = {}): void {
    if (!isOutputDefinition(output)) {
      throw new NodeDefinitionError("Only output types made with defineOutput(...) can be registered");
    }
    this.#registerOutputFor(output, options.nodePack ?? CORE_NODE_PACK);
  }

  #registerOutputFor(output: OutputDefinition, nodePack: string): void {
    const existing = this.#outputs.get(output.type);
    // Outputs are shared by many nodes; the first registration owns the type unless its pack goes away.
    if (existing === undefined) this.#outputs.set(output.type, { definition: output, nodePack });
  }

  /** Removes every node of a pack (and outputs only it used); returns the removed node types. */
  unregisterPack(nodePack: string): string[] {
    const removed: string[] = [];
    for (const [type, def] of [...this.#nodes]) {
      if (def.nodePack !== nodePack) continue;
      removed.push(type);
      const stack = (this.#shadowed.get(type) ?? []).filter((d) => d.nodePack !== nodePack);
      const restored = stack.pop();
      if (restored === undefined) this.#nodes.delete(type);
      else this.#nodes.set(type, restored);
      if (stack.length === 0) this.#shadowed.delete(type);
      else this.#shadowed.set(type, stack);
    }
    for (const [type, stack] of [...this.#shadowed]) {
      const kept = stack.filter((d) => d.nodePack !== nodePack);
      if (kept.length === 0) this.#shadowed.delete(type);
      else this.#shadowed.set(type, kept);
    }
    for (const [type, entry] of [...this.#outputs]) {
      if (entry.nodePack !== nodePack) continue;
      const user = [...this.#nodes.values()].find((d) => d.output.type === type);
      if (user === undefined) this.#outputs.delete(type);
      else this.#outputs.set(type, { definition: user.output, nodePack: user.nodePack });
    }
    return removed;
  }

  /** Applies the config's allow/deny lists (InvokeAI's `allow_nodes` / `deny_nodes`). */
  setFilter(filter: NodeFilter): void {
    this.#allow = filter.allowNodes == null ? null : new Set(filter.allowNodes);
    this.#deny = new Set(filter.denyNodes ?? []);
  }

  /** Whether the allow/deny lists let this node type be used. */
  isAllowed(type: string): boolean {
    return (this.#allow === null || this.#allow.has(type)) && !this.#deny.has(type);
  }

  /** The node type with this id, unless unknown or filtered out. */
  get(type: string): AnyInvocationDefinition | undefined {
    return this.isAllowed(type) ? this.#nodes.get(type) : undefined;
  }

  /** The node type with this id, ignoring allow/deny lists. */
  getUnfiltered(type: string): AnyInvocationDefinition | undefined {
    return this.#nodes.get(type);
  }

  /** Every usable node type, sorted by type id. */
  list(): AnyInvocationDefinition[] {
    return [...this.#nodes.values()].filter((d) => this.isAllowed(d.type)).sort((a, b) => compare(a.type, b.type));
  }

  /** The output type with this id. */
  getOutput(type: string): OutputDefinition | undefined {
    return this.#outputs.get(type)?.definition;
  }

  /** Every output type, sorted by type id. */
  listOutputs(): OutputDefinition[] {
    return [...this.#outputs.values()].map((e) => e.definition).sort((a, b) => compare(a.type, b.type));
  }

  /** The node packs that have registered nodes (core included). */
  listPacks(): string[] {
    return [...new Set([...this.#nodes.values()].map((d) => d.nodePack))].sort(compare);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Registers the special nodes (iterate, collect, if) and the common outputs. */
export function registerCoreNodes(registry: NodeRegistry): void {
  for (const def of SPECIAL_INVOCATIONS) registry.register(def);
  for (const output of COMMON_OUTPUTS) registry.registerOutput(output);
}

/**
 * Registers every node type among a module's exports (and every output type exported with them); returns the
 * registered node types. Used for built-in node modules and for custom node packs.
 */
export function registerModuleExports(
  registry: NodeRegistry,
  moduleExports: Readonly<Record<string, unknown>>,
  options: { nodePack?: string } = {},
): string[] {
  const types: string[] = [];
  // A module may export one definition under several names (e.g. also as default), and lists of definitions.
  const values = Object.values(moduleExports).flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]));
  for (const value of new Set(values)) {
    if (isInvocationDefinition(value)) {
      registry.register(value, options);
      types.push(value.type);
    } else if (isOutputDefinition(value)) {
      registry.registerOutput(value, options);
    }
  }
  return types;
}

const REGISTRY_KEY = Symbol.for("atelier.registry");

/**
 * The process-wide registry, kept on `globalThis` under `Symbol.for("atelier.registry")` so that every copy of
 * @atelier/core in the process (e.g. one resolved by a node pack) shares it. Created with the core nodes.
 */
export function getDefaultRegistry(): NodeRegistry {
  const holder = globalThis as { [REGISTRY_KEY]?: NodeRegistry };
  let registry = holder[REGISTRY_KEY];
  if (registry === undefined) {
    registry = new NodeRegistry();
    registerCoreNodes(registry);
    holder[REGISTRY_KEY] = registry;
  }
  return registry;
}
