#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=4194304 MALLOC_TRIM_THRESHOLD_=67108864 node
// glibc reads these before any JavaScript runs, hence the shebang (and the same two in `npm start`): buffers under
// 4 MiB (latents, conditioning, most images) come from the heap, and freed heap memory is kept up to 64 MiB, so a
// fresh buffer reuses mapped memory instead of page-faulting every page of a new mapping (bench/tensors.bench.ts:
// a tensor load is about 2× faster).
import { AtelierError } from "@atelier/core";
import { buildProgram } from "./program.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // Typed errors already say what and where; anything else is a bug worth its stack.
  const message =
    error instanceof AtelierError
      ? `${error.message}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`atelier: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
}
