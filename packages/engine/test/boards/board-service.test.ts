import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { BoardNotFoundError, ImageNotFoundError, InvalidBoardError } from "@atelier/engine";
import { gradient, testServices, type TestServices } from "../services/service-fixture.js";

let fixture: TestServices | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

async function setup(): Promise<TestServices> {
  fixture = await testServices();
  return fixture;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

describe("BoardService", () => {
  it("creates, lists (newest first, archived hidden), pages, sorts by name and updates boards", async () => {
    const f = await setup();
    const { boards } = f.services;
    const a = await boards.create("banana");
    await pause();
    const b = await boards.create("Apple");
    await pause();
    const c = await boards.create("cherry");
    expect(a).toMatchObject({
      board_name: "banana",
      user_id: "system",
      archived: false,
      board_visibility: "private",
      image_count: 0,
      asset_count: 0,
      cover_image_name: null,
    });
    expect(a).not.toHaveProperty("deleted_at");
    expect((await boards.getAll()).map((x) => x.board_id)).toEqual([c.board_id, b.board_id, a.board_id]);

    const archived = await boards.update(b.board_id, { archived: true, board_name: "Apricot" });
    expect(archived).toMatchObject({ archived: true, board_name: "Apricot" });
    expect((await boards.getAll()).map((x) => x.board_name)).toEqual(["cherry", "banana"]);
    expect(
      (await boards.getAll({ include_archived: true, order_by: "board_name", direction: "ASC" })).map(
        (x) => x.board_name,
      ),
    ).toEqual(["Apricot", "banana", "cherry"]);
    const page = await boards.list({ offset: 1, limit: 1, include_archived: true });
    expect(page).toMatchObject({ offset: 1, limit: 1, total: 3 });
    expect(page.items.map((x) => x.board_id)).toEqual([b.board_id]);

    await expect(boards.create("")).rejects.toBeInstanceOf(InvalidBoardError);
    await expect(boards.create("x".repeat(301))).rejects.toThrow(/at most 300 characters/);
    await expect(boards.update("nope", { board_name: "z" })).rejects.toBeInstanceOf(BoardNotFoundError);
    await expect(boards.getDto("nope")).rejects.toThrow(/Board "nope" was not found/);
    await expect(boards.update(a.board_id, { cover_image_name: "ghost.png" })).rejects.toBeInstanceOf(
      ImageNotFoundError,
    );
  });

  it("counts general images and assets apart, leaves intermediates out, and picks the cover", async () => {
    const f = await setup();
    const { boards, images } = f.services;
    const board = await boards.create("Counts");
    const first = await images.create(gradient(8, 8), { boardId: board.board_id });
    await pause();
    const second = await images.create(gradient(8, 8), { boardId: board.board_id });
    await pause();
    const mask = await images.create(gradient(8, 8), { boardId: board.board_id, category: "mask" });
    await images.create(gradient(8, 8), { boardId: board.board_id, isIntermediate: true });
    await images.create(gradient(8, 8));
    expect(await boards.getDto(board.board_id)).toMatchObject({
      image_count: 2,
      asset_count: 1,
      cover_image_name: mask.image_name,
    });

    await images.star([first.image_name]);
    expect((await boards.getDto(board.board_id)).cover_image_name).toBe(first.image_name);
    await boards.update(board.board_id, { cover_image_name: second.image_name });
    expect((await boards.getDto(board.board_id)).cover_image_name).toBe(second.image_name);
    // Deleting the explicit cover clears it; the most recent (starred first) image takes over.
    await images.delete(second.image_name);
    expect(await boards.getDto(board.board_id)).toMatchObject({
      image_count: 1,
      asset_count: 1,
      cover_image_name: first.image_name,
    });
    await boards.update(board.board_id, { cover_image_name: null });
    expect((await boards.getAll())[0]).toMatchObject({ board_id: board.board_id, image_count: 1, asset_count: 1 });
  });

  it("keeps an image on at most one board and reports the affected boards", async () => {
    const f = await setup();
    const { boards, images } = f.services;
    const red = await boards.create("red");
    const blue = await boards.create("blue");
    const [x, y] = [
      await images.create(gradient(8, 8)),
      await images.create(gradient(8, 8), { boardId: red.board_id }),
    ];

    expect(await boards.addImagesToBoard(blue.board_id, [x.image_name, y.image_name, "ghost.png"])).toEqual({
      affected_boards: [blue.board_id, "none", red.board_id],
      added_images: [x.image_name, y.image_name],
    });
    expect(await boards.getAllImageNamesForBoard(red.board_id)).toEqual([]);
    expect((await boards.getAllImageNamesForBoard(blue.board_id)).sort()).toEqual([x.image_name, y.image_name].sort());
    const rows = await f.services.db.selectFrom("board_images").select(["image_name", "board_id"]).execute();
    expect(rows).toHaveLength(2);

    await boards.addImageToBoard(red.board_id, x.image_name);
    expect((await images.getDto(x.image_name)).board_id).toBe(red.board_id);
    expect(
      await boards.getAllImageNamesForBoard(blue.board_id, { categories: ["general"], is_intermediate: false }),
    ).toEqual([y.image_name]);
    await boards.removeImageFromBoard(x.image_name);
    expect(await images.getDto(x.image_name)).not.toHaveProperty("board_id");
    expect(await boards.getAllImageNamesForBoard("none")).toEqual([x.image_name]);
    expect(await boards.removeImagesFromBoard([y.image_name])).toEqual({
      affected_boards: ["none", blue.board_id],
      removed_images: [y.image_name],
    });

    await expect(boards.addImageToBoard("nope", x.image_name)).rejects.toBeInstanceOf(BoardNotFoundError);
    await expect(boards.addImageToBoard(red.board_id, "ghost.png")).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(boards.getAllImageNamesForBoard("nope")).rejects.toBeInstanceOf(BoardNotFoundError);
  });

  it("deletes a board alone, or with its images and their files", async () => {
    const f = await setup();
    const { boards, images } = f.services;
    const keep = await boards.create("keep images");
    const purge = await boards.create("purge images");
    const kept = await images.create(gradient(8, 8), { boardId: keep.board_id });
    const purged = await images.create(gradient(8, 8), { boardId: purge.board_id });
    const purgedPath = await images.getPath(purged.image_name);

    expect(await boards.delete(keep.board_id)).toEqual({
      board_id: keep.board_id,
      deleted_board_images: [kept.image_name],
      deleted_images: [],
    });
    expect(await images.getDto(kept.image_name)).not.toHaveProperty("board_id");
    expect(await boards.delete(purge.board_id, { includeImages: true })).toEqual({
      board_id: purge.board_id,
      deleted_board_images: [purged.image_name],
      deleted_images: [purged.image_name],
    });
    expect(existsSync(purgedPath)).toBe(false);
    await expect(images.getDto(purged.image_name)).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(await boards.getAll({ include_archived: true })).toEqual([]);
    await expect(boards.delete(purge.board_id)).rejects.toBeInstanceOf(BoardNotFoundError);
  });
});
