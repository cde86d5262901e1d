import { afterEach, describe, expect, it } from "vitest";
import { InvocationCache, invocationCacheKey } from "@atelier/engine";
import { runtimeFixture, type RuntimeFixture } from "../session-processor/runtime-fixture.js";
import { graph, invocations, iterateGraph } from "../session-queue/queue-test-nodes.js";

const Q = "default";

describe("invocationCacheKey", () => {
  it("depends on type, version and every input but never on the id", () => {
    const inputs = { id: "a", a: 1, b: 2, use_cache: true, is_intermediate: false };
    const key = invocationCacheKey("add", "1.0.1", inputs);
    expect(invocationCacheKey("add", "1.0.1", { ...inputs, id: "something else" })).toBe(key);
    expect(invocationCacheKey("add", "1.0.2", inputs)).not.toBe(key);
    expect(invocationCacheKey("sub", "1.0.1", inputs)).not.toBe(key);
    expect(invocationCacheKey("add", "1.0.1", { ...inputs, b: 3 })).not.toBe(key);
    expect(invocationCacheKey("add", "1.0.1", { ...inputs, is_intermediate: true })).not.toBe(key);
  });

  it("hashes long inputs into a short key", () => {
    const long = { id: "x", prompt: "a".repeat(5000) };
    const key = invocationCacheKey("prompt", "1.0.0", long);
    expect(key.length).toBeLessThan(64);
    expect(invocationCacheKey("prompt", "1.0.0", { ...long, prompt: `${"a".repeat(4999)}b` })).not.toBe(key);
  });
});

describe("InvocationCache", () => {
  it("is an LRU bounded by max_size that counts hits and misses", () => {
    const cache = new InvocationCache({ maxSize: 2 });
    cache.save("a", { value: 1 });
    cache.save("b", { value: 2 });
    expect(cache.get("a")).toEqual({ value: 1 });
    cache.save("c", { value: 3 });
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toEqual({ value: 1 });
    expect(cache.get("c")).toEqual({ value: 3 });
    expect(cache.status()).toEqual({ size: 2, hits: 3, misses: 1, enabled: true, max_size: 2 });
  });

  it("disables, enables and clears; size 0 is off for good", () => {
    const cache = new InvocationCache({ maxSize: 4 });
    cache.save("a", { value: 1 });
    cache.disable();
    expect(cache.get("a")).toBeUndefined();
    cache.save("b", { value: 2 });
    expect(cache.status()).toEqual({ size: 1, hits: 0, misses: 0, enabled: false, max_size: 4 });
    cache.enable();
    expect(cache.get("a")).toEqual({ value: 1 });
    cache.clear();
    expect(cache.status()).toEqual({ size: 0, hits: 0, misses: 0, enabled: true, max_size: 4 });
    const off = new InvocationCache({ maxSize: 0 });
    off.enable();
    off.save("a", { value: 1 });
    expect([off.enabled, off.get("a"), off.status().size]).toEqual([false, undefined, 0]);
  });

  it("drops entries whose output refers to a deleted object, however deep", () => {
    const cache = new InvocationCache();
    cache.save("img", { image: { image_name: "i1.png" }, width: 4, height: 4 });
    cache.save("list", { collection: [{ image_name: "i2.png" }, { image_name: "i1.png" }] });
    cache.save("other", { tensor: { tensor_name: "Tensor_x" } });
    let emit: (name: string) => void = () => undefined;
    cache.watch({
      onDeleted(cb) {
        emit = cb;
        return () => undefined;
      },
    });
    emit("i1.png");
    expect([cache.get("img"), cache.get("list"), cache.get("other")]).toEqual([
      undefined,
      undefined,
      { tensor: { tensor_name: "Tensor_x" } },
    ]);
    expect(cache.invalidateName("Tensor_x")).toBe(1);
    expect(cache.status().size).toBe(0);
  });
});

describe("the invocation cache in the processor", () => {
  const fixtures: RuntimeFixture[] = [];
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.dispose();
  });
  const setup = async () => {
    const f = await runtimeFixture();
    fixtures.push(f);
    return f;
  };
  const run = async (f: RuntimeFixture, g: ReturnType<typeof graph>) => {
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, { graph: g });
    const item = await f.waitFor(id);
    expect(item.status).toBe("completed");
    return item;
  };

  it("serves identical work in a later session from the cache, whatever the node id", async () => {
    const f = await setup();
    await run(f, graph({ x: { type: "test_counter", value: 5 } }));
    const second = await run(f, graph({ y: { type: "test_counter", value: 5 } }));
    expect(invocations.test_counter).toBe(1);
    expect(second.session.results).toEqual({ y: { value: 5, type: "integer_output" } });
    expect(f.payloads("invocation_complete").at(-1)).toMatchObject({
      invocation_source_id: "y",
      result: { value: 5, type: "integer_output" },
    });
    await run(f, graph({ z: { type: "test_counter", value: 6 } }));
    expect(invocations.test_counter).toBe(2);
    await run(f, graph({ z: { type: "test_counter", value: 6, use_cache: false } }));
    expect(invocations.test_counter).toBe(3);
    expect(f.rt.cache.status()).toMatchObject({ hits: 1, misses: 2, size: 2 });
    f.rt.cache.disable();
    await run(f, graph({ x: { type: "test_counter", value: 5 } }));
    expect(invocations.test_counter).toBe(4);
  });

  it("never caches iterate or collect", async () => {
    const f = await setup();
    await run(f, iterateGraph(3));
    // range once, add three times (distinct inputs); nothing for the 3 iterate copies or the collect.
    expect(f.rt.cache.status()).toMatchObject({ size: 4, misses: 4, hits: 0 });
    await run(f, iterateGraph(3));
    expect(f.rt.cache.status()).toMatchObject({ size: 4, misses: 4, hits: 4 });
  });

  it("drops an entry when the tensor it refers to is deleted", async () => {
    const f = await setup();
    const first = await run(f, graph({ t: { type: "test_make_tensor", seed: 3 } }));
    const name = (first.session.results.t as { tensor: { tensor_name: string } }).tensor.tensor_name;
    await run(f, graph({ t: { type: "test_make_tensor", seed: 3 } }));
    expect(invocations.test_make_tensor).toBe(1);
    await f.fx.services.tensors.delete(name);
    const third = await run(f, graph({ t: { type: "test_make_tensor", seed: 3 } }));
    expect(invocations.test_make_tensor).toBe(2);
    const fresh = (third.session.results.t as { tensor: { tensor_name: string } }).tensor.tensor_name;
    expect(fresh).not.toBe(name);
    expect(await f.fx.services.tensors.load(fresh)).toMatchObject({ shape: [2, 2] });
  });

  it("drops an entry when the image it refers to is deleted", async () => {
    const f = await setup();
    const first = await run(f, graph({ i: { type: "test_make_image", shade: 10 } }));
    const name = (first.session.results.i as { image: { image_name: string } }).image.image_name;
    await run(f, graph({ i: { type: "test_make_image", shade: 10 } }));
    expect(invocations.test_make_image).toBe(1);
    await f.fx.services.images.delete(name);
    await run(f, graph({ i: { type: "test_make_image", shade: 10 } }));
    expect(invocations.test_make_image).toBe(2);
  });
});
