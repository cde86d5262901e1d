import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { AtelierError, type AppConfigView } from "@atelier/core";
import {
  CONFIG_KEYS,
  ConfigError,
  configEnvVariable,
  loadConfig,
  resolveRootFolder,
  type AtelierConfig,
} from "@atelier/engine";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "atelier-config-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function writeConfig(text: string): string {
  const file = join(root, "atelier.yaml");
  writeFileSync(file, text);
  return file;
}

function load(options: Parameters<typeof loadConfig>[0] = {}): AtelierConfig {
  return loadConfig({ root, env: {}, onWarning: () => undefined, ...options });
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(AtelierError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig: the default file", () => {
  it("writes a commented default file when none exists, atomically, and loads the defaults", () => {
    const config = load();
    const file = join(root, "atelier.yaml");
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("# Atelier configuration.")).toBe(true);
    const written = YAML.parse(text) as Record<string, unknown>;
    expect(written.schema_version).toBe(1);
    expect(written.host).toBe("127.0.0.1");
    expect(written.port).toBe(9090);
    expect(written.pil_compress_level).toBe(1);
    expect(readdirSync(root)).toEqual(["atelier.yaml"]); // no temp file left behind

    expect(config.host).toBe("127.0.0.1");
    expect(config.port).toBe(9090);
    expect(config.outputs_dir).toBe("outputs");
    expect(config.node_cache_size).toBe(512);
    expect(config.max_queue_size).toBe(10000);
    expect(config.max_concurrent_nodes).toBe(1);
    expect(config.resume_interrupted).toBe(false);
    expect(config.db_backend).toBe("sqlite");
    expect(config.blob_backend).toBe("fs");
    expect(config.max_cache_ram_gb).toBeUndefined();
    expect(config.allow_nodes).toBeUndefined();
  });

  it("reads its own default file back without warnings and with the same values", () => {
    const first = load();
    const warnings: string[] = [];
    const second = loadConfig({ root, env: {}, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(second).toEqual(first);
  });

  it("does not write a file when asked not to", () => {
    load({ writeMissingFile: false });
    expect(readdirSync(root)).toEqual([]);
  });

  it("lists every key of the schema in the default file, optional ones commented out", () => {
    load();
    const text = readFileSync(join(root, "atelier.yaml"), "utf8");
    for (const key of CONFIG_KEYS) expect(text).toMatch(new RegExp(`^(# )?${key}:`, "m"));
    expect(text).toMatch(/^# max_cache_ram_gb:$/m);
  });
});

describe("loadConfig: paths", () => {
  it("resolves folders against the root and keeps absolute ones", () => {
    const elsewhere = join(root, "elsewhere", "out");
    writeConfig(`outputs_dir: ${elsewhere}\nmodels_dir: my-models\n`);
    const { paths } = load();
    expect(paths.root).toBe(root);
    expect(paths.configFile).toBe(join(root, "atelier.yaml"));
    expect(paths.outputs).toBe(elsewhere);
    expect(paths.images).toBe(join(elsewhere, "images"));
    expect(paths.thumbnails).toBe(join(elsewhere, "images", "thumbnails"));
    expect(paths.tensors).toBe(join(elsewhere, "tensors"));
    expect(paths.conditioning).toBe(join(elsewhere, "conditioning"));
    expect(paths.db).toBe(join(root, "databases", "atelier.db"));
    expect(paths.models).toBe(join(root, "my-models"));
    expect(paths.downloadCache).toBe(join(root, "models", ".download_cache"));
    expect(paths.nodes).toBe(join(root, "nodes"));
  });

  it("picks the root: option, then ATELIER_ROOT, then ~/atelier", () => {
    expect(resolveRootFolder("/srv/a", { ATELIER_ROOT: "/srv/b" })).toBe("/srv/a");
    expect(resolveRootFolder(undefined, { ATELIER_ROOT: "/srv/b" })).toBe("/srv/b");
    expect(resolveRootFolder(undefined, { ATELIER_ROOT: "" })).toBe(join(homedir(), "atelier"));
    expect(resolveRootFolder(undefined, {})).toBe(join(homedir(), "atelier"));
    expect(resolveRootFolder("~/studio", {})).toBe(join(homedir(), "studio"));
  });

  it("uses ATELIER_ROOT from the given environment when no root option is passed", () => {
    const config = loadConfig({ env: { ATELIER_ROOT: root }, onWarning: () => undefined });
    expect(config.paths.root).toBe(root);
    expect(readdirSync(root)).toContain("atelier.yaml");
  });

  it("reads a config file given explicitly, relative to the root", () => {
    mkdirSync(join(root, "conf"));
    writeFileSync(join(root, "conf", "other.yaml"), "port: 9333\n");
    const config = load({ configFile: "conf/other.yaml" });
    expect(config.port).toBe(9333);
    expect(config.paths.configFile).toBe(join(root, "conf", "other.yaml"));
  });
});

describe("loadConfig: precedence", () => {
  it("file < environment < overrides", () => {
    writeConfig("port: 9100\nhost: 0.0.0.0\nlog_level: debug\n");
    expect(load().port).toBe(9100);
    const fromEnv = load({ env: { ATELIER_PORT: "9200" } });
    expect(fromEnv.port).toBe(9200);
    expect(fromEnv.host).toBe("0.0.0.0");
    const overridden = load({ env: { ATELIER_PORT: "9200" }, overrides: { port: 9300, host: undefined } });
    expect(overridden.port).toBe(9300);
    expect(overridden.host).toBe("0.0.0.0");
    expect(overridden.log_level).toBe("debug");
  });

  it("reads typed values from environment strings", () => {
    const config = load({
      env: {
        ATELIER_LOG_SQL: "true",
        ATELIER_ALLOW_CREDENTIALS: "0",
        ATELIER_NODE_CACHE_SIZE: "0",
        ATELIER_MAX_CACHE_RAM_GB: "12.5",
        ATELIER_ALLOW_NODES: '["img_resize","add"]',
        ATELIER_REMOTE_API_TOKENS: '[{"url_regex":"civitai\\\\.com","token":"abc"}]',
        ATELIER_S3_PREFIX: "123",
        ATELIER_DEVICE: "cuda:1",
        ATELIER_HOST: "",
      },
    });
    expect(config.log_sql).toBe(true);
    expect(config.allow_credentials).toBe(false);
    expect(config.node_cache_size).toBe(0);
    expect(config.max_cache_ram_gb).toBe(12.5);
    expect(config.allow_nodes).toEqual(["img_resize", "add"]);
    expect(config.remote_api_tokens).toEqual([{ url_regex: "civitai\\.com", token: "abc" }]);
    expect(config.s3_prefix).toBe("123");
    expect(config.device).toBe("cuda:1");
    expect(config.host).toBe("127.0.0.1"); // empty variables are ignored
  });

  it("names the environment variable of each field", () => {
    expect(configEnvVariable("max_queue_size")).toBe("ATELIER_MAX_QUEUE_SIZE");
  });
});

describe("loadConfig: the result", () => {
  it("serves as the config view nodes read through context.config", () => {
    const view: AppConfigView = load();
    expect(view.pil_compress_level).toBe(1);
  });

  it("is frozen, lists included", () => {
    const config = load({ env: { ATELIER_ALLOW_NODES: '["add"]' } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.paths)).toBe(true);
    expect(Object.isFrozen(config.allow_nodes)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (config.allow_nodes as string[]).push("x")).toThrow(TypeError);
  });
});

describe("loadConfig: bad values", () => {
  it("names the file, key, value and what is allowed", () => {
    const file = writeConfig("port: 70000\n");
    const error = configErrorOf(() => load());
    expect(error.code).toBe("invalid_config_value");
    expect(error.message).toContain("port");
    expect(error.message).toContain(file);
    expect(error.message).toContain("70000");
    expect(error.message).toContain("65535");
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0].source).toEqual({ kind: "file", file, key: "port" });
  });

  it("names the environment variable and lists the allowed options", () => {
    const error = configErrorOf(() => load({ env: { ATELIER_LOG_LEVEL: "verbose" } }));
    expect(error.message).toContain("ATELIER_LOG_LEVEL");
    expect(error.message).toContain('"verbose"');
    for (const level of ["debug", "info", "warning", "error", "critical"]) expect(error.message).toContain(level);
  });

  it("rejects a number field given text in the environment", () => {
    const error = configErrorOf(() => load({ env: { ATELIER_PORT: "ninety" } }));
    expect(error.message).toContain("ATELIER_PORT");
    expect(error.message).toContain("ninety");
    expect(error.message).toMatch(/number/);
  });

  it("reports every bad value at once, each with its source", () => {
    writeConfig("pil_compress_level: 12\nlog_format: fancy\n");
    const error = configErrorOf(() => load({ env: { ATELIER_MAX_QUEUE_SIZE: "-3" }, overrides: { port: "x" } }));
    expect(error.issues.map((i) => i.key).sort()).toEqual([
      "log_format",
      "max_queue_size",
      "pil_compress_level",
      "port",
    ]);
    const bySource = Object.fromEntries(error.issues.map((i) => [i.key, i.source.kind]));
    expect(bySource).toEqual({
      pil_compress_level: "file",
      log_format: "file",
      max_queue_size: "env",
      port: "override",
    });
    expect(error.details.issues).toHaveLength(4);
  });

  it("names nested positions inside lists", () => {
    writeConfig("remote_api_tokens:\n  - url_regex: '(unclosed'\n    token: t\n");
    const error = configErrorOf(() => load());
    expect(error.message).toContain("remote_api_tokens");
    expect(error.message).toContain("[0].url_regex");
    expect(error.message).toContain("regular expression");
  });

  it("checks values that depend on each other", () => {
    const error = configErrorOf(() => load({ env: { ATELIER_DB_BACKEND: "postgres" } }));
    expect(error.issues[0].key).toBe("db_url");
    expect(error.message).toContain("db_backend is postgres");
    const s3 = configErrorOf(() => load({ overrides: { blob_backend: "s3" } }));
    expect(s3.issues[0].key).toBe("s3_bucket");
  });

  it("refuses an unknown override key", () => {
    const error = configErrorOf(() => load({ overrides: { prot: 1 } as never }));
    expect(error.message).toContain("prot");
    expect(error.message).toContain("not a config key");
  });

  it("refuses YAML that does not parse or is not a mapping", () => {
    writeConfig("port: [1, 2\n");
    expect(configErrorOf(() => load()).code).toBe("config_file_invalid");
    writeConfig("- a\n- b\n");
    expect(configErrorOf(() => load()).code).toBe("config_file_invalid");
  });

  it("warns about unknown keys in the file and goes on", () => {
    const file = writeConfig("port: 9101\nattention_type: sliced\n");
    const warnings: string[] = [];
    const config = loadConfig({ root, env: {}, onWarning: (w) => warnings.push(w) });
    expect(config.port).toBe(9101);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("attention_type");
    expect(warnings[0]).toContain(file);
  });

  it("treats a key without a value as unset", () => {
    writeConfig("port:\nhost: 10.0.0.1\n");
    const config = load();
    expect(config.port).toBe(9090);
    expect(config.host).toBe("10.0.0.1");
  });
});
