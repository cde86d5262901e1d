/** Errors of the generation nodes (model parts missing or malformed, diffusion runtime not provided). */
import { AtelierError } from "@atelier/core";

/** A model part a generation node needs is missing or is not what the node can run. */
export class GenerationModelError extends AtelierError {
  constructor(what: string, problem: string, details: Record<string, unknown> = {}) {
    super("generation_model_invalid", `${what}: ${problem}`, { status: 422, details });
  }
}

/** The process never provided the tokenizer/scheduler implementations the generation nodes use. */
export class DiffusionToolkitMissingError extends AtelierError {
  constructor(nodeType: string) {
    super(
      "diffusion_toolkit_missing",
      `Node ${nodeType} needs tokenizers and schedulers, but no diffusion toolkit was provided; ` +
        "call provideDiffusionToolkit() from @atelier/nodes at start-up",
      { status: 500, details: { node_type: nodeType } },
    );
  }
}
