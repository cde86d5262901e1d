import type { BoardService } from "@atelier/engine";
import type { BoardsPort } from "../routes/board-routes.js";

/** The board routes' port over the engine's BoardService. */
export function boardsPort(boards: BoardService): BoardsPort {
  return {
    create: (name) => boards.create(name),
    getDto: (id) => boards.getDto(id),
    listAll: (options) => boards.getAll(options),
    listPage: async (options) => {
      const page = await boards.list(options);
      return { items: page.items, offset: page.offset, limit: page.limit, total: page.total };
    },
    update: (id, changes) => boards.update(id, changes),
    delete: async (id, includeImages) => {
      const result = await boards.delete(id, { includeImages });
      return {
        board_id: result.board_id,
        deleted_board_images: [...result.deleted_board_images],
        deleted_images: [...result.deleted_images],
      };
    },
    imageNames: (id, filters) => boards.getAllImageNamesForBoard(id, filters),
    addImages: async (id, names) => {
      const result = await boards.addImagesToBoard(id, names);
      return { affected_boards: [...result.affected_boards], added_images: [...result.added_images] };
    },
    removeImages: async (names) => {
      const result = await boards.removeImagesFromBoard(names);
      return { affected_boards: [...result.affected_boards], removed_images: [...result.removed_images] };
    },
  };
}
