import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LoggerInterface } from "@atelier/core";
import { createLogger, type LogFormat, type LogLevel } from "@atelier/engine";

/** Collects what the logger writes. */
function capture() {
  const chunks: string[] = [];
  return {
    destination: { write: (chunk: string) => chunks.push(chunk) },
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line !== ""),
  };
}

function loggerFor(log_format: LogFormat, log_level: LogLevel = "info") {
  const out = capture();
  return { out, logger: createLogger({ log_format, log_level }, { destination: out.destination }) };
}

describe("createLogger: json", () => {
  it("writes pino JSON with the child's bindings and the extra fields", () => {
    const { out, logger } = loggerFor("json");
    const child = logger.child({ queue_item_id: 7, session_id: "s-1", node_id: "resize", node_type: "img_resize" });
    child.info("Invocation started", { step: 3 });
    const [line] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({
      msg: "Invocation started",
      level: 30,
      name: "atelier",
      queue_item_id: 7,
      session_id: "s-1",
      node_id: "resize",
      node_type: "img_resize",
      step: 3,
    });
    expect(typeof line.time).toBe("number");
  });

  it("filters by level and maps InvokeAI level names onto pino's", () => {
    const { out, logger } = loggerFor("json", "warning");
    logger.debug("d");
    logger.info("i");
    logger.warning("w");
    logger.error("e");
    logger.critical("c");
    const lines = out.lines().map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.map((l) => [l.msg, l.level])).toEqual([
      ["w", 40],
      ["e", 50],
      ["c", 60],
    ]);
    expect(logger.isLevelEnabled("info")).toBe(false);
    expect(logger.isLevelEnabled("error")).toBe(true);
  });

  it("keeps bindings of nested children and drops undefined ones", () => {
    const { out, logger } = loggerFor("json");
    const forNodes: LoggerInterface = logger.child({ queue_item_id: 1 });
    forNodes.info("from a node");
    expect(JSON.parse(out.lines()[0])).toMatchObject({ msg: "from a node", queue_item_id: 1 });
    logger.child({ queue_item_id: 1 }).child({ node_id: "a", node_type: undefined }).info("x");
    const line = JSON.parse(out.lines()[1]) as Record<string, unknown>;
    expect(line.queue_item_id).toBe(1);
    expect(line.node_id).toBe("a");
    expect("node_type" in line).toBe(false);
  });

  it("serializes errors with their stack", () => {
    const { out, logger } = loggerFor("json");
    logger.error("Node failed", { err: new Error("boom") });
    const line = JSON.parse(out.lines()[0]) as { err: { message: string; stack: string; type: string } };
    expect(line.err.message).toBe("boom");
    expect(line.err.type).toBe("Error");
    expect(line.err.stack).toContain("logger.test.ts");
  });
});

describe("createLogger: readable formats", () => {
  it("plain: timestamp, name, level and message, then bindings as key=value", () => {
    const { out, logger } = loggerFor("plain", "debug");
    logger
      .child({ queue_item_id: 12, session_id: "abc", node_id: "n1", node_type: "add" })
      .warning("Slow step", { took_ms: 812 });
    const [line] = out.lines();
    expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]::\[atelier\]::WARNING --> Slow step \(/);
    for (const pair of ["queue_item_id=12", "session_id=abc", "node_id=n1", "node_type=add", "took_ms=812"]) {
      expect(line).toContain(pair);
    }
    expect(line).not.toContain("\x1b[");
  });

  it("plain: quotes values with spaces and prints an error's stack after the line", () => {
    const { out, logger } = loggerFor("plain");
    logger.error("Could not save", { path: "a b.png", err: new TypeError("disk full") });
    const lines = out.lines();
    expect(lines[0]).toContain('path="a b.png"');
    expect(lines[0]).toContain('err="disk full"');
    expect(lines[1]).toContain("TypeError: disk full");
    expect(lines.some((l) => l.includes("logger.test.ts"))).toBe(true);
  });

  it("color: colors the level", () => {
    const { out, logger } = loggerFor("color");
    logger.error("bad");
    const [line] = out.lines();
    expect(line.startsWith("\x1b[31m[")).toBe(true);
    expect(line.endsWith("ERROR\x1b[0m --> bad")).toBe(true);
  });

  it("syslog and legacy", () => {
    const syslog = loggerFor("syslog");
    syslog.logger.info("hello", { a: 1 });
    expect(syslog.out.lines()[0]).toBe(`atelier [${process.pid}] <INFO> hello (a=1)`);
    const legacy = loggerFor("legacy");
    legacy.logger.warning("careful");
    expect(legacy.out.lines()[0]).toBe("** careful");
  });
});

describe("createLogger: handlers", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "atelier-log-"));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("writes plain lines to a file handler relative to the root folder", () => {
    const logger = createLogger({
      log_format: "color",
      log_level: "info",
      log_handlers: ["file=logs/atelier.log"],
      paths: { root },
    });
    logger.child({ session_id: "s9" }).info("to the file");
    const text = readFileSync(join(root, "logs", "atelier.log"), "utf8");
    expect(text).toContain("INFO --> to the file (session_id=s9)");
    expect(text).not.toContain("\x1b["); // color is for terminals; files get plain lines
  });
});
