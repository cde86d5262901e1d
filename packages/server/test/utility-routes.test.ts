import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, type AtelierServer } from "../src/build-server.js";
import { utilityRoutes } from "../src/routes/utility-routes.js";

let server: AtelierServer;

beforeAll(async () => {
  server = await buildServer({
    version: "test",
    root: "/tmp",
    routes: utilityRoutes(),
    nodeSchemas: () => ({}),
    subscribeEvents: () => () => undefined,
    uploadMaxBytes: 1024,
  });
});

afterAll(() => server.close());

const post = (payload: unknown) =>
  server.app.inject({ method: "POST", url: "/api/v1/utilities/dynamicprompts", payload: payload as object });

describe("POST /api/v1/utilities/dynamicprompts", () => {
  it("expands combinatorially in the library's order", async () => {
    const response = await post({ prompt: "a {red|blue} {cat|dog}" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ prompts: ["a red cat", "a red dog", "a blue cat", "a blue dog"], error: null });
  });

  it("caps at max_prompts and draws seeded random prompts deterministically", async () => {
    expect((await post({ prompt: "{a|b|c} {d|e}", max_prompts: 2 })).json().prompts).toHaveLength(2);
    const one = (await post({ prompt: "{a|b|c|d|e|f}", combinatorial: false, seed: 7, max_prompts: 5 })).json().prompts;
    const two = (await post({ prompt: "{a|b|c|d|e|f}", combinatorial: false, seed: 7, max_prompts: 5 })).json().prompts;
    expect(one).toHaveLength(5);
    expect(one).toEqual(two);
    for (const p of one) expect(["a", "b", "c", "d", "e", "f"]).toContain(p);
  });

  it("returns the prompt unchanged with the parser's message when it does not parse", async () => {
    const response = await post({ prompt: "a {red|blue" });
    expect(response.statusCode).toBe(200);
    expect(response.json().prompts).toEqual(["a {red|blue"]);
    expect(typeof response.json().error).toBe("string");
  });

  it("refuses out-of-range max_prompts and a missing prompt, naming the field", async () => {
    const tooMany = await post({ prompt: "x", max_prompts: 10001 });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().detail[0].loc).toEqual(["body", "max_prompts"]);
    const missing = await post({ max_prompts: 3 });
    expect(missing.json().detail[0].loc).toEqual(["body", "prompt"]);
  });
});
