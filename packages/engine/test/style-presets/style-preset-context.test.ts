// The engine's InvocationContext carries the style preset service that createServices builds.
import { afterEach, describe, expect, it } from "vitest";
import { QUEUE_ITEM } from "../invocation-context/test-nodes.js";
import { testServices, type TestServices } from "../services/service-fixture.js";

let fixture: TestServices | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

describe("context.stylePresets", () => {
  it("reads the presets stored by the engine's service, and keeps them across a restart", async () => {
    fixture = await testServices();
    const created = await fixture.services.stylePresets.create({
      name: "Noir",
      preset_data: { positive_prompt: "film noir, {prompt}", negative_prompt: "colour" },
    });
    const services = await fixture.restart();
    const context = services.createContext({
      queueItem: QUEUE_ITEM,
      sourceGraph: null,
      invocation: { id: "t", type: "prompt_template" },
      sourceNodeId: "t",
      cancel: { isCanceled: () => false, signal: new AbortController().signal },
    });
    const preset = await context.stylePresets?.get(created.id);
    expect(preset?.preset_data).toEqual({ positive_prompt: "film noir, {prompt}", negative_prompt: "colour" });
    await expect(context.stylePresets?.get("missing")).rejects.toMatchObject({ status: 404 });
  });
});
