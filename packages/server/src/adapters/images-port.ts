import type { ImageService } from "@atelier/engine";
import type { ImagesPort } from "../routes/image-routes.js";

/** The image routes' port over the engine's ImageService. */
export function imagesPort(images: ImageService): ImagesPort {
  return {
    upload: (bytes, o) =>
      images.upload(bytes, {
        category: o.category,
        isIntermediate: o.isIntermediate,
        boardId: o.boardId,
        sessionId: o.sessionId,
        cropVisible: o.cropVisible,
        metadata: o.metadata,
        resizeTo: o.resizeTo,
      }),
    list: (filters) => images.list(filters),
    names: (filters) => images.getNames(filters),
    getDto: (name) => images.getDto(name),
    getDtos: (names) => images.getDtos(names),
    update: (name, changes) => images.update(name, changes),
    delete: async (names) => {
      const result = await images.deleteMany(names);
      return { affected_boards: [...result.affected_boards], deleted_images: [...result.deleted_images] };
    },
    deleteUncategorized: async () => {
      const result = await images.deleteUncategorized();
      return { affected_boards: [...result.affected_boards], deleted_images: [...result.deleted_images] };
    },
    getMetadata: (name) => images.getMetadata(name),
    getWorkflow: async (name) => {
      const found = await images.getWorkflow(name);
      return { workflow: found.workflow, graph: found.graph };
    },
    fullBytes: (name) => images.getBytes(name),
    thumbnailBytes: (name) => images.getThumbnailBytes(name),
    star: async (names) => {
      const result = await images.star(names);
      return { affected_boards: [...result.affected_boards], starred_images: [...result.starred_images] };
    },
    unstar: async (names) => {
      const result = await images.unstar(names);
      return { affected_boards: [...result.affected_boards], unstarred_images: [...result.unstarred_images] };
    },
    intermediatesCount: () => images.getIntermediatesCount(),
    deleteIntermediates: () => images.deleteIntermediates(),
  };
}
