import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { InvocationContextData, ModelComponent } from "@atelier/engine";
import { testServices, type TestServices } from "../services/service-fixture.js";

const FIXTURES = join(import.meta.dirname, "../../../../../shared/fixtures/diffusion");

let fixture: TestServices | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

function contextData(): InvocationContextData {
  const abort = new AbortController();
  return {
    queueItem: { item_id: 3, queue_id: "default", batch_id: "b", session_id: "s", user_id: "bob" },
    sourceGraph: null,
    invocation: { id: "loader", type: "main_model_loader" },
    sourceNodeId: "loader",
    cancel: { isCanceled: () => abort.signal.aborted, signal: abort.signal },
  };
}

describe("the model manager in createServices", () => {
  it("gives nodes context.models: loads report progress on the queue item, and model events carry the user", async () => {
    fixture = await testServices({ overrides: { hashing_algorithm: "random" } });
    const { services } = fixture;
    const config = await services.models.install.registerPath(join(FIXTURES, "tiny-sd15/diffusers"), { name: "tiny" });
    const seen: { name: string; payload: Record<string, unknown> }[] = [];
    services.events.onAny(
      (event) => void seen.push(event as unknown as { name: string; payload: Record<string, unknown> }),
    );

    const context = services.createContext(contextData());
    const loaded = await context.models.load(config.key, "unet");
    const conv = await loaded.use((part) => (part as ModelComponent).stateDict!.get("conv_in.weight"));
    expect(conv.shape).toEqual([32, 4, 3, 3]);
    await context.settle();
    expect(seen.map((e) => e.name)).toEqual(["invocation_progress", "model_load_started", "model_load_complete"]);
    expect(seen[0].payload).toMatchObject({
      message: "Loading model tiny (unet)",
      item_id: 3,
      invocation_source_id: "loader",
    });
    expect(seen[2].payload).toMatchObject({ user_id: "bob", submodel_type: "unet" });

    // The records persist across a restart; the cache does not.
    const restarted = await fixture.restart();
    expect((await restarted.models.records.get(config.key)).name).toBe("tiny");
    expect(restarted.models.cache.stats().in_cache).toBe(0);
  });
});
