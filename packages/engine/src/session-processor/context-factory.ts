import type { AnyInvocationDefinition, InvocationContext, NodeTypeLookup } from "@atelier/core";
import type { InvocationContextData } from "../invocation-context/index.js";

/**
 * A context the processor can build per node; `settle` (when present) waits for the node's progress events, and
 * `settled` (when present) says there are none queued, so that a synchronous node finishes without an await.
 */
export type ProcessorContext = InvocationContext & { settle?(): Promise<void>; readonly settled?: boolean };

/** Builds the InvocationContext of one node run (`services.createContext`). */
export type ContextFactory = (data: InvocationContextData) => ProcessorContext;

/** Where the processor finds node definitions (the NodeRegistry). */
export interface InvocationDefinitions extends NodeTypeLookup {
  get(type: string): AnyInvocationDefinition | undefined;
}
