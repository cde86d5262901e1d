import { AtelierError } from "@atelier/core";
import { generateCombinatorialPrompts, generateRandomPrompts } from "@atelier/nodes";
import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import { named } from "../schemas/api-registry.js";

const Body_parse_dynamicprompts = named(
  "Body_parse_dynamicprompts",
  z.object({
    prompt: z.string().describe("The prompt to parse with dynamicprompts"),
    max_prompts: z.number().int().min(1).max(10000).default(1000).describe("The max number of prompts to generate"),
    combinatorial: z.boolean().default(true).describe("Whether to use the combinatorial generator"),
    seed: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe("The seed to use for random generation. Only used if not combinatorial"),
  }),
);

const DynamicPromptsResponse = named(
  "DynamicPromptsResponse",
  z.object({ prompts: z.array(z.string()), error: z.string().nullable().optional() }),
);

/** `/api/v1/utilities/*`. */
export function utilityRoutes(): AnyRouteSpec[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/utilities/dynamicprompts",
      operationId: "parse_dynamicprompts",
      tag: "utilities",
      summary: "Parse Dynamicprompts",
      description: "Creates a batch process",
      body: Body_parse_dynamicprompts,
      response: { schema: DynamicPromptsResponse },
      handler: ({ body }) => {
        // As InvokeAI: a prompt that does not parse comes back unchanged, with the parser's message in `error`.
        try {
          const prompts = body.combinatorial
            ? generateCombinatorialPrompts(body.prompt, body.max_prompts)
            : generateRandomPrompts(body.prompt, body.max_prompts, body.seed ?? undefined);
          return { prompts: prompts.length > 0 ? prompts : [""], error: null };
        } catch (error) {
          if (!(error instanceof AtelierError)) throw error;
          return { prompts: [body.prompt], error: error.message };
        }
      },
    }),
  ];
}
