import { Command } from "commander";
import { processIo, type CliIo } from "./cli-io.js";
import { modelsCommand } from "./commands/models-command.js";
import { queueCommand } from "./commands/queue-command.js";
import { runCommand } from "./commands/run-command.js";
import { serveCommand } from "./commands/serve-command.js";

/** The `atelier` command line: serve, run, queue. */
export function buildProgram(io: CliIo = processIo()): Command {
  const program = new Command("atelier")
    .description("Atelier: a node engine for image generation with InvokeAI's Invocation API")
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    });
  program.addCommand(serveCommand(io));
  program.addCommand(runCommand(io));
  program.addCommand(queueCommand(io));
  program.addCommand(modelsCommand(io));
  return program;
}
