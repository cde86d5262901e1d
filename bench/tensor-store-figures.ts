/**
 * TensorStore save + load round trips of a [1,4,128,128] float32 tensor (256 KiB) on a temp folder; run by
 * tensors.bench.ts in a child process per malloc setting.
 *
 * Four figures:
 *  - node pair while the cache fills: what a node and the next node wait for, in a fresh process whose saves still
 *    go into fresh memory (the first 512 MiB, the default budget);
 *  - node pair, steady state: the same once the cache is full, as in a running server, where each save pushes an
 *    older value out and reuses its buffer. The file write runs behind and ends before the next pair (untimed),
 *    while the event loop goes on turning, as it does between real nodes;
 *  - back to back: pairs in a tight loop, each round ending with every file on disk, so the writes are paid for;
 *  - flushed save + disk load: every save waits for its file and the cache is dropped, so every load reads the file.
 * With them goes the file system's own cost of one 256 KiB file (create, write, rename), for scale.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { setImmediate } from "node:timers/promises";
import "./core-from-source.js";
import os from "node:os";
import path from "node:path";

type Tensor = import("../packages/core/src/index.js").Tensor;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const CACHE_BYTES = 512 * 1024 * 1024;

/** One child's figures: median wall time in µs per round trip (`file`: per file). */
export interface StoreFigures {
  file: number;
  filling: number;
  steady: number;
  backToBack: number;
  disk: number;
}

/** What each figure is, in print order. */
export const FIGURE_LABELS: Readonly<Record<keyof StoreFigures, string>> = {
  file: "one 256 KiB file (create, write, rename)",
  filling: "node pair, cache still filling",
  steady: "node pair, cache full (steady state)",
  backToBack: "back to back, writes included",
  disk: "flushed save + disk load",
};

export async function tensorStoreFigures(): Promise<StoreFigures> {
  const { FsBlobStore, TensorStore } = await import("../packages/engine/src/index.js");
  type Store = InstanceType<typeof TensorStore>;
  const shape = [1, 4, 128, 128];
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
  const tensor: Tensor = { dtype: "float32", shape, data };

  type Mode = "pair" | "back-to-back" | "disk";
  const rounds = async (store: Store, mode: Mode, count: number): Promise<number> => {
    const batch = 200;
    const perRound: number[] = [];
    for (let r = 0; r < count; r++) {
      let timed = 0;
      const roundStart = performance.now();
      for (let i = 0; i < batch; i++) {
        const start = performance.now();
        const name = await store.save(tensor);
        if (mode === "disk") {
          await store.flush();
          store.clearCache();
        }
        await store.load(name);
        if (mode === "pair") {
          timed += performance.now() - start;
          // The event loop keeps turning until the write has ended, as it would while the next node works (an idle
          // wait would instead time each pair on a thread just woken from sleep).
          while (store.pendingWrites > 0) await setImmediate();
        }
      }
      await store.flush();
      if (mode !== "pair") timed = performance.now() - roundStart;
      perRound.push((timed * 1000) / batch);
    }
    // Round 0 warms the JIT and the folder.
    return median(perRound.slice(1));
  };

  const tmp = await mkdtemp(path.join(os.tmpdir(), "atelier-bench-"));
  try {
    // The file system's floor: one 256 KiB file created, written and renamed into place, as the store does.
    const bytes = new Uint8Array(data.buffer);
    const files: number[] = [];
    for (let i = 0; i < 300; i++) {
      const start = performance.now();
      const temp = path.join(tmp, `.tmp-${i}`);
      await writeFile(temp, bytes, { flag: "wx" });
      await rename(temp, path.join(tmp, randomUUID()));
      files.push((performance.now() - start) * 1000);
    }
    const figures = { file: median(files.slice(50)) } as StoreFigures;
    const store = new TensorStore({ blobs: new FsBlobStore(path.join(tmp, "outputs")), cacheBytes: CACHE_BYTES });
    figures.filling = await rounds(store, "pair", 5);
    while (store.cachedBytes + data.byteLength <= CACHE_BYTES) await store.save(tensor);
    await store.flush();
    figures.steady = await rounds(store, "pair", 9);
    figures.backToBack = await rounds(store, "back-to-back", 9);
    figures.disk = await rounds(store, "disk", 5);
    return figures;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
