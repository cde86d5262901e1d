/** Where commands write: stdout for results, stderr for progress and messages (so `--json` output stays clean). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Whether stderr is a terminal (progress bars) or not (plain lines). */
  isTTY: boolean;
  stderr: NodeJS.WritableStream;
}

/** The process's own stdout and stderr. */
export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY: process.stderr.isTTY === true,
    stderr: process.stderr,
  };
}
