#!/usr/bin/env node
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
