/**
 * Image service and gallery listing figures. Run: npx tsx bench/image-records.bench.ts
 *
 * 1. Images saved per second through ImageService.create: a 1024×1024 noisy RGB image → PNG (compression 1) with
 *    InvokeAI's metadata, workflow and graph chunks + 256 px WebP thumbnail + record, on a fresh root. Sequential
 *    (PNG and thumbnail encode in parallel inside each save) and with two saves in flight.
 * 2. Listing 100 images of a board holding 100,000 (120,000 rows in the table), at offsets 0, 50,000 and 99,900:
 *    the offset API and the keyset cursor API (cursor taken from the page before), median of 31 runs each. The
 *    records are inserted directly, in one transaction.
 * InvokeAI on this kind of machine: 11 noisy images/s; 185–216 ms to list. Targets: ≥ 20 images/s, list ≤ 5 ms.
 */
import { mkdtemp, rm } from "node:fs/promises";
import "./core-from-source.js";
import os from "node:os";
import path from "node:path";

const { createServices } = await import("../packages/engine/src/index.js");
type RawImage = import("../packages/core/src/index.js").RawImage;

const SIZE = 1024;
const BOARD_IMAGES = 100_000;
const OTHER_IMAGES = 20_000;
const PAGE = 100;
const RUNS = 31;

function noisyImage(seed: number): RawImage {
  const data = new Uint8Array(SIZE * SIZE * 3);
  let x = seed >>> 0 || 2463534242; // xorshift32: bytes independent enough that zlib finds nothing to compress
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return { width: SIZE, height: SIZE, mode: "RGB", data };
}

// Documents of the sizes InvokeAI writes for a typical SDXL text-to-image run.
const metadata = {
  generation_mode: "sdxl_txt2img",
  positive_prompt: "a lighthouse on a cliff at dusk, dramatic sky, volumetric light, highly detailed",
  negative_prompt: "blurry, low quality",
  width: 1024,
  height: 1024,
  seed: 1234567890,
  steps: 30,
  cfg_scale: 7.5,
  scheduler: "dpmpp_2m_k",
  model: { key: "a1b2c3", hash: "blake3:0123456789abcdef", name: "sdxl-base", base: "sdxl", type: "main" },
};
const graph = {
  id: "graph",
  nodes: Object.fromEntries(
    Array.from({ length: 12 }, (_, i) => [
      `node-${i}`,
      { id: `node-${i}`, type: "noise", seed: i, width: 1024, height: 1024 },
    ]),
  ),
  edges: Array.from({ length: 11 }, (_, i) => ({
    source: { node_id: `node-${i}`, field: "noise" },
    destination: { node_id: `node-${i + 1}`, field: "noise" },
  })),
};
const workflow = {
  name: "SDXL text to image",
  meta: { version: "3.0.0", category: "user" },
  nodes: [],
  edges: [],
  exposedFields: [],
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeMedian(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

const root = await mkdtemp(path.join(os.tmpdir(), "atelier-bench-images-"));
const services = await createServices({
  root,
  env: {},
  loadNodePacks: false,
  overrides: { log_level: "error", pil_compress_level: 1 },
});
try {
  // 1. Saves.
  const images = [noisyImage(1), noisyImage(2), noisyImage(3), noisyImage(4)];
  const save = (i: number) =>
    services.images.create(images[i % images.length], {
      metadata,
      workflow,
      graph,
      sessionId: "bench",
      nodeId: `n${i}`,
    });
  for (let i = 0; i < 3; i++) await save(i); // warm-up: sharp, zlib, SQLite statements
  const count = 40;
  const rate = async (inFlight: number) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async (_, w) => {
        for (let i = w; i < count; i += inFlight) await save(i);
      }),
    );
    const used = process.cpuUsage(cpu);
    return { perSecond: count / ((performance.now() - start) / 1000), cpuMs: (used.user + used.system) / 1000 / count };
  };
  console.log(
    `Load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} on ${os.availableParallelism()} cores`,
  );
  console.log(`ImageService.create, 1024×1024 noisy RGB, compression 1, chunks + thumbnail + record:`);
  for (const inFlight of [1, 2, 3]) {
    const { perSecond, cpuMs } = await rate(inFlight);
    console.log(
      `  ${inFlight} save${inFlight === 1 ? " " : "s"} in flight: ${perSecond.toFixed(1).padStart(5)} images/s, ${cpuMs.toFixed(0)} ms CPU per image   [target ≥ 20; InvokeAI 11]`,
    );
  }

  // 2. Listing.
  const board = await services.boards.create("bench");
  const base = Date.parse("2024-01-01T00:00:00.000Z");
  const start = performance.now();
  await services.db.transaction().execute(async (trx) => {
    const total = BOARD_IMAGES + OTHER_IMAGES;
    for (let i = 0; i < total; i += 500) {
      const rows = [];
      for (let j = i; j < Math.min(total, i + 500); j++) {
        const at = new Date(base + j * 1000).toISOString();
        rows.push({
          image_name: `${String(j).padStart(8, "0")}-${((j * 2654435761) >>> 0).toString(16)}.png`,
          image_origin: "internal",
          image_category: "general",
          width: 1024,
          height: 1024,
          session_id: "bench",
          node_id: "n",
          metadata: null,
          is_intermediate: 0 as const,
          created_at: at,
          updated_at: at,
          deleted_at: null,
          starred: (j % 97 === 0 ? 1 : 0) as 0 | 1,
          has_workflow: 0 as const,
          user_id: "system",
          image_subfolder: "",
        });
      }
      await trx.insertInto("images").values(rows).execute();
      const onBoard = rows.filter((_, k) => i + k < BOARD_IMAGES);
      if (onBoard.length > 0) {
        await trx
          .insertInto("board_images")
          .values(
            onBoard.map((r) => ({
              board_id: board.board_id,
              image_name: r.image_name,
              created_at: r.created_at,
              updated_at: r.created_at,
              deleted_at: null,
            })),
          )
          .execute();
      }
    }
  });
  console.log(
    `\nInserted ${BOARD_IMAGES + OTHER_IMAGES} records (${BOARD_IMAGES} on one board) in one transaction: ${((performance.now() - start) / 1000).toFixed(1)} s`,
  );

  const filters = {
    board_id: board.board_id,
    categories: ["general" as const],
    is_intermediate: false,
    starred_first: true,
    order_dir: "DESC" as const,
  };
  console.log(`List ${PAGE} of the board's ${BOARD_IMAGES} images, starred first, newest first (median of ${RUNS}):`);
  for (const offset of [0, 50_000, BOARD_IMAGES - PAGE]) {
    const byOffset = await timeMedian(() => services.images.list({ ...filters, offset, limit: PAGE }));
    const before = offset === 0 ? null : await services.images.list({ ...filters, offset: offset - PAGE, limit: PAGE });
    const cursor = before?.next_cursor ?? null;
    const check = await services.images.list({ ...filters, cursor, limit: PAGE });
    const expected = await services.images.list({ ...filters, offset, limit: PAGE });
    if (
      check.items.map((i) => i.image_name).join() !== expected.items.map((i) => i.image_name).join() ||
      check.offset !== offset
    ) {
      throw new Error(`keyset page at ${offset} differs from the offset page`);
    }
    const byCursor = await timeMedian(() => services.images.list({ ...filters, cursor, limit: PAGE }));
    console.log(
      `  offset ${String(offset).padStart(6)}: offset API ${byOffset.toFixed(2).padStart(6)} ms, keyset cursor ${byCursor.toFixed(2).padStart(5)} ms   [target ≤ 5; InvokeAI 185–216]`,
    );
  }
  const names = await timeMedian(() => services.images.getNames(filters));
  const boardDto = await timeMedian(() => services.boards.getDto(board.board_id));
  console.log(
    `  all ${BOARD_IMAGES} names (GET /images/names): ${names.toFixed(1)} ms; board DTO with counts and cover: ${boardDto.toFixed(2)} ms`,
  );
} finally {
  await services.close();
  await rm(root, { recursive: true, force: true });
}
