// ImageRecords checks shared by the SQLite and PostgreSQL test files: same SQL, two engines.
import type { ImageCategory, ResourceOrigin } from "@atelier/core";
import { expect, it } from "vitest";
import {
  BoardService,
  ImageNotFoundError,
  ImageRecords,
  InvalidImageCursorError,
  InvalidImageRecordError,
  openDatabase,
  type DatabaseConfig,
  type DatabaseDialect,
  type ImageListFilters,
  type ImageRecord,
  type OpenedDatabase,
  type OrderDirection,
} from "@atelier/engine";

const CATEGORIES: ImageCategory[] = ["general", "mask", "control", "user", "other"];

/** A deterministic pseudo-random sequence (xorshift32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Gallery order computed independently of the SQL: starred first (optionally), then time, then name. */
function expectedOrder(rows: ImageRecord[], starredFirst: boolean, dir: OrderDirection): string[] {
  const sign = dir === "DESC" ? -1 : 1;
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows]
    .sort((a, b) => {
      if (starredFirst && a.starred !== b.starred) return a.starred ? -1 : 1;
      return sign * cmp(a.created_at, b.created_at) || sign * cmp(a.image_name, b.image_name);
    })
    .map((r) => r.image_name);
}

function matches(record: ImageRecord, filters: ImageListFilters): boolean {
  if (filters.board_id === "none" && record.board_id !== null) return false;
  if (filters.board_id && filters.board_id !== "none" && record.board_id !== filters.board_id) return false;
  if (filters.categories && !filters.categories.includes(record.image_category)) return false;
  if (
    filters.is_intermediate !== undefined &&
    filters.is_intermediate !== null &&
    record.is_intermediate !== filters.is_intermediate
  )
    return false;
  if (filters.image_origin && record.image_origin !== filters.image_origin) return false;
  if (filters.search_term) {
    const term = filters.search_term.toLowerCase();
    if (!(record.metadata ?? "").toLowerCase().includes(term) && !record.created_at.toLowerCase().includes(term))
      return false;
  }
  return true;
}

async function allRecords(records: ImageRecords): Promise<ImageRecord[]> {
  const { image_names } = await records.getNames({ starred_first: false });
  return records.getMany(image_names);
}

interface Fixture {
  opened: OpenedDatabase;
  records: ImageRecords;
  boards: BoardService;
  boardIds: string[];
}

async function fixture(makeConfig: () => Promise<DatabaseConfig>): Promise<Fixture> {
  const opened = await openDatabase(await makeConfig());
  const records = new ImageRecords(opened.db, { dialect: opened.dialect });
  const boards = new BoardService({ db: opened.db, imageRecords: records });
  const boardIds = [(await boards.create("alpha")).board_id, (await boards.create("beta")).board_id];
  return { opened, records, boards, boardIds };
}

/** Saves `n` records with varied attributes; times repeat on purpose so that names must break ties. */
async function populate(f: Fixture, n: number, seed: number): Promise<void> {
  const rnd = random(seed);
  const base = Date.parse("2025-03-01T00:00:00.000Z");
  const onBoard: Record<string, string[]> = { [f.boardIds[0]]: [], [f.boardIds[1]]: [] };
  for (let i = 0; i < n; i++) {
    const name = `${Math.floor(rnd() * 1e9)
      .toString(16)
      .padStart(8, "0")}-${i}.png`;
    const origin: ResourceOrigin = rnd() < 0.2 ? "external" : "internal";
    await f.records.save({
      image_name: name,
      image_origin: origin,
      image_category: rnd() < 0.6 ? "general" : CATEGORIES[Math.floor(rnd() * CATEGORIES.length)],
      width: 64,
      height: 32,
      metadata: JSON.stringify({ positive_prompt: rnd() < 0.3 ? "A Lighthouse at dusk" : "a forest", i }),
      is_intermediate: rnd() < 0.15,
      starred: rnd() < 0.25,
      created_at: new Date(base + Math.floor(rnd() * n * 0.5) * 1000).toISOString(),
    });
    const r = rnd();
    if (r < 0.4) onBoard[f.boardIds[0]].push(name);
    else if (r < 0.6) onBoard[f.boardIds[1]].push(name);
  }
  for (const [board, names] of Object.entries(onBoard)) await f.boards.addImagesToBoard(board, names);
}

/** Registers the ImageRecords tests for one database engine; `makeConfig` returns a fresh, empty database. */
export function defineImageRecordsTests(dialect: DatabaseDialect, makeConfig: () => Promise<DatabaseConfig>): void {
  it(`saves, reads, changes and deletes a record (${dialect})`, async () => {
    const f = await fixture(makeConfig);
    try {
      const saved = await f.records.save({
        image_name: "a.png",
        image_origin: "internal",
        image_category: "general",
        width: 640,
        height: 480,
        node_id: "n1",
        session_id: "s1",
        metadata: '{"seed":1}',
      });
      expect(saved).toMatchObject({
        image_name: "a.png",
        width: 640,
        height: 480,
        starred: false,
        is_intermediate: false,
        board_id: null,
      });
      expect(await f.records.get("a.png")).toEqual(saved);
      const updated = await f.records.update("a.png", {
        starred: true,
        image_category: "user",
        session_id: null,
        is_intermediate: true,
      });
      expect(updated).toMatchObject({
        starred: true,
        image_category: "user",
        session_id: null,
        is_intermediate: true,
        node_id: "n1",
      });
      expect(updated.updated_at >= saved.updated_at).toBe(true);
      await expect(f.records.update("a.png", { image_category: "poster" as ImageCategory })).rejects.toBeInstanceOf(
        InvalidImageRecordError,
      );
      await expect(
        f.records.save({
          image_name: "b.png",
          image_origin: "internal",
          image_category: "general",
          width: 0,
          height: 4,
        }),
      ).rejects.toBeInstanceOf(InvalidImageRecordError);
      expect((await f.records.delete("a.png")).image_name).toBe("a.png");
      await expect(f.records.get("a.png")).rejects.toBeInstanceOf(ImageNotFoundError);
      await expect(f.records.delete("a.png")).rejects.toThrow(/"a\.png" was not found/);
      await expect(f.records.update("missing.png", { starred: true })).rejects.toBeInstanceOf(ImageNotFoundError);
    } finally {
      await f.opened.close();
    }
  });

  it(`keeps the trigger-maintained counts equal to a recount after every kind of change (${dialect})`, async () => {
    const f = await fixture(makeConfig);
    try {
      await populate(f, 120, 7);
      const rnd = random(99);
      const filterSets: ImageListFilters[] = [
        {},
        { board_id: "none" },
        { board_id: f.boardIds[0], categories: ["general"], is_intermediate: false },
        { board_id: f.boardIds[1], categories: ["mask", "control", "user", "other"] },
        { is_intermediate: true },
        { categories: [] },
      ];
      const check = async () => {
        const rows = await allRecords(f.records);
        for (const filters of filterSets) {
          expect(await f.records.count(filters), JSON.stringify(filters)).toBe(
            rows.filter((r) => matches(r, filters)).length,
          );
        }
      };
      await check();
      let names = (await allRecords(f.records)).map((r) => r.image_name);
      const pick = () => names[Math.floor(rnd() * names.length)];
      for (let step = 0; step < 40; step++) {
        const op = step % 6;
        if (op === 0) await f.records.update(pick(), { starred: rnd() < 0.5 });
        if (op === 1) await f.records.update(pick(), { image_category: CATEGORIES[Math.floor(rnd() * 5)] });
        if (op === 2) await f.records.update(pick(), { is_intermediate: rnd() < 0.5 });
        if (op === 3) await f.boards.addImagesToBoard(f.boardIds[Math.floor(rnd() * 2)], [pick(), pick()]);
        if (op === 4) await f.boards.removeImagesFromBoard([pick()]);
        if (op === 5) {
          await f.records.deleteMany([pick(), pick()]);
          names = (await allRecords(f.records)).map((r) => r.image_name);
        }
      }
      await check();
      const rows = await allRecords(f.records);
      for (const dto of await f.boards.getAll({ order_by: "board_name", direction: "ASC" })) {
        const visible = rows.filter((r) => r.board_id === dto.board_id && !r.is_intermediate);
        expect(dto.image_count).toBe(visible.filter((r) => r.image_category === "general").length);
        expect(dto.asset_count).toBe(visible.filter((r) => r.image_category !== "general").length);
        expect(dto.cover_image_name).toBe(expectedOrder(visible, true, "DESC")[0] ?? null);
      }
      // Deleting a board moves its images to "no board", and the counts follow.
      await f.boards.delete(f.boardIds[1]);
      await check();
      expect(await f.records.count({ board_id: f.boardIds[1] })).toBe(0);
    } finally {
      await f.opened.close();
    }
  });

  it(`lists every page by offset and by cursor in the independently computed order (${dialect})`, async () => {
    const f = await fixture(makeConfig);
    try {
      await populate(f, 150, 3);
      const rows = await allRecords(f.records);
      const cases: { filters: ImageListFilters; starred_first: boolean; order_dir: OrderDirection }[] = [
        { filters: {}, starred_first: true, order_dir: "DESC" },
        { filters: {}, starred_first: false, order_dir: "ASC" },
        {
          filters: { board_id: f.boardIds[0], categories: ["general"], is_intermediate: false },
          starred_first: true,
          order_dir: "DESC",
        },
        {
          filters: { board_id: f.boardIds[0], categories: ["general"], is_intermediate: false },
          starred_first: true,
          order_dir: "ASC",
        },
        {
          filters: { board_id: "none", categories: ["mask", "control", "user", "other"] },
          starred_first: false,
          order_dir: "DESC",
        },
        { filters: { image_origin: "external", search_term: "LIGHTHOUSE" }, starred_first: true, order_dir: "DESC" },
      ];
      for (const { filters, starred_first, order_dir } of cases) {
        const label = JSON.stringify({ filters, starred_first, order_dir });
        const expected = expectedOrder(
          rows.filter((r) => matches(r, filters)),
          starred_first,
          order_dir,
        );
        expect(expected.length, label).toBeGreaterThan(3);
        const limit = 7;
        // Offsets: front half, back half (read from the other end of the index), a page cut by the end, past the end.
        for (const offset of [
          0,
          5,
          Math.floor(expected.length / 2),
          expected.length - 9,
          expected.length - 3,
          expected.length + 2,
        ]) {
          if (offset < 0) continue;
          const page = await f.records.list({ ...filters, starred_first, order_dir, offset, limit });
          expect(page.total, label).toBe(expected.length);
          expect(page.offset).toBe(offset);
          expect(
            page.items.map((r) => r.image_name),
            `${label} @${offset}`,
          ).toEqual(expected.slice(offset, offset + limit));
        }
        const walked: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await f.records.list({ ...filters, starred_first, order_dir, limit, cursor });
          expect(page.offset).toBe(walked.length);
          walked.push(...page.items.map((r) => r.image_name));
          cursor = page.next_cursor;
          pages++;
        } while (cursor !== null && pages < 100);
        expect(walked, label).toEqual(expected);
        const names = await f.records.getNames({ ...filters, starred_first, order_dir });
        expect(names.image_names, label).toEqual(expected);
        expect(names.total_count).toBe(expected.length);
        expect(names.starred_count).toBe(rows.filter((r) => matches(r, filters) && r.starred).length);
      }
    } finally {
      await f.opened.close();
    }
  });

  it(`refuses cursors it did not issue or issued for another order (${dialect})`, async () => {
    const f = await fixture(makeConfig);
    try {
      await populate(f, 20, 5);
      const page = await f.records.list({ limit: 5 });
      expect(page.next_cursor).not.toBeNull();
      await expect(f.records.list({ limit: 5, cursor: page.next_cursor, order_dir: "ASC" })).rejects.toBeInstanceOf(
        InvalidImageCursorError,
      );
      await expect(f.records.list({ limit: 5, cursor: "not-a-cursor" })).rejects.toBeInstanceOf(
        InvalidImageCursorError,
      );
      await expect(f.records.list({ limit: -1 })).rejects.toBeInstanceOf(InvalidImageRecordError);
      await expect(f.records.list({ categories: ["poster" as ImageCategory] })).rejects.toBeInstanceOf(
        InvalidImageRecordError,
      );
    } finally {
      await f.opened.close();
    }
  });
}
