import { AtelierError } from "@atelier/core";

/** No board has this id. */
export class BoardNotFoundError extends AtelierError {
  constructor(boardId: string) {
    super("board_not_found", `Board ${JSON.stringify(boardId)} was not found`, {
      status: 404,
      details: { board_id: boardId },
    });
  }
}

/** A board field value that is not allowed (empty or over-long name, unknown visibility, bad paging). */
export class InvalidBoardError extends AtelierError {
  constructor(field: string, value: unknown, message: string) {
    super("invalid_board", `Invalid board ${field} ${JSON.stringify(value)}: ${message}`, {
      status: 400,
      details: { field, value },
    });
  }
}
