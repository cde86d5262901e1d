import {
  ASSET_IMAGE_CATEGORIES,
  GALLERY_IMAGE_CATEGORIES,
  type BatchNodeExpander,
  type BoardService,
  type GraphJSON,
  type RunBatchDatum,
} from "@atelier/engine";
import { expandBatchNodes } from "@atelier/nodes";

/** Board ids read by `image_generator_images_from_board` generators in the graph, with their category. */
function boardsToRead(graph: GraphJSON): { boardId: string; category: "images" | "assets" }[] {
  const out: { boardId: string; category: "images" | "assets" }[] = [];
  for (const node of Object.values(graph.nodes)) {
    if (node.type !== "image_generator") continue;
    const generator = node.generator as { type?: unknown; board_id?: unknown; category?: unknown } | undefined;
    if (generator?.type !== "image_generator_images_from_board" || typeof generator.board_id !== "string") continue;
    out.push({ boardId: generator.board_id, category: generator.category === "assets" ? "assets" : "images" });
  }
  return out;
}

/**
 * The batch node expander of a graph, as InvokeAI's UI runs it before enqueueing: batch and generator nodes become
 * batch data. Board contents used by image generators are read first, since expansion itself is synchronous.
 */
export async function batchExpanderFor(
  graph: GraphJSON,
  boards: Pick<BoardService, "getAllImageNamesForBoard">,
): Promise<BatchNodeExpander> {
  const contents = new Map<string, readonly string[]>();
  for (const { boardId, category } of boardsToRead(graph)) {
    const key = `${boardId}\u0000${category}`;
    if (contents.has(key)) continue;
    const categories = category === "images" ? GALLERY_IMAGE_CATEGORIES : ASSET_IMAGE_CATEGORIES;
    contents.set(key, await boards.getAllImageNamesForBoard(boardId, { categories, is_intermediate: false }));
  }
  return (g) => {
    const expanded = expandBatchNodes(g, {
      boardImages: (boardId, category) => contents.get(`${boardId}\u0000${category}`) ?? [],
    });
    return { graph: expanded.graph as GraphJSON, data: expanded.data as RunBatchDatum[][] };
  };
}
