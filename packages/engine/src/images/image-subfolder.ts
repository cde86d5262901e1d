import type { ImageCategory } from "@atelier/core";
import type { IMAGE_SUBFOLDER_STRATEGIES } from "../config/index.js";

/** How image files are spread over sub-folders of `outputs/images` (config `image_subfolder_strategy`). */
export type ImageSubfolderStrategy = (typeof IMAGE_SUBFOLDER_STRATEGIES)[number];

/** What a subfolder may depend on. */
export interface ImageSubfolderInput {
  readonly imageName: string;
  readonly category: ImageCategory;
  readonly isIntermediate: boolean;
  readonly createdAt: Date;
}

/**
 * The subfolder of a new image, as InvokeAI names them: `flat` "", `date` "YYYY/MM/DD" (UTC), `type`
 * "intermediate" or the category, `hash` the first two characters of the name (256 folders for uuid names).
 */
export function imageSubfolder(strategy: ImageSubfolderStrategy, input: ImageSubfolderInput): string {
  switch (strategy) {
    case "flat":
      return "";
    case "date": {
      const d = input.createdAt;
      const pad = (n: number) => String(n).padStart(2, "0");
      return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
    }
    case "type":
      return input.isIntermediate ? "intermediate" : input.category;
    case "hash":
      return input.imageName.slice(0, 2).toLowerCase();
  }
}
