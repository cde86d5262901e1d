import type { Migration } from "../migration.js";
import { initialSchema } from "./001-initial-schema.js";
import { imageCounts } from "./002-image-counts.js";
import { sessionQueueBatches } from "./003-session-queue-batches.js";
import { stylePresets } from "./004-style-presets.js";

/** Every migration the code knows, in order. Append new ones; never edit or renumber an applied one. */
export const MIGRATIONS: readonly Migration[] = [initialSchema, imageCounts, sessionQueueBatches, stylePresets];
