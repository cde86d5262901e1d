import { z } from "zod";
import { defineRoute, type AnyRouteSpec } from "../http/route-spec.js";
import {
  AppConfigWithSetFields,
  AppDependencyVersions,
  AppVersion,
  InvocationCacheStatus,
  LogLevel,
} from "../schemas/app-schemas.js";

/** The config level names and Python's numeric levels (what InvokeAI's `/app/logging` speaks). */
const LEVEL_NUMBERS = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 } as const;
type LevelName = keyof typeof LEVEL_NUMBERS;

/** What `/app/invocation_cache/*` needs from the invocation cache. */
export interface InvocationCacheControl {
  status(): { size: number; hits: number; misses: number; enabled: boolean; max_size: number };
  clear(): void | Promise<void>;
  enable(): void | Promise<void>;
  disable(): void | Promise<void>;
}

/** Reads and changes the running log level. */
export interface LogLevelControl {
  getLevel(): LevelName;
  setLevel(level: LevelName): void;
}

/** What the app routes read. */
export interface AppRouteDeps {
  version: string;
  /** The frozen config object; secrets are redacted before it is returned. */
  config: Readonly<Record<string, unknown>>;
  /** Config keys the user set (file, environment or flags) rather than left at their defaults. */
  setFields: readonly string[];
  logLevel: LogLevelControl;
  invocationCache: InvocationCacheControl;
}

/** Keys whose values never leave the server. */
const SECRET_KEYS = new Set([
  "remote_api_tokens",
  "db_url",
  "s3_access_key_id",
  "s3_secret_access_key",
  "s3_session_token",
]);

/** The config as the API shows it: secrets replaced, derived paths left out. */
export function redactConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "paths") continue;
    out[key] = SECRET_KEYS.has(key) && value !== undefined && value !== null ? "********" : value;
  }
  return out;
}

/** `/api/v1/app/*`: version, dependencies, runtime config, log level, invocation cache. */
export function appRoutes(deps: AppRouteDeps): AnyRouteSpec[] {
  const tag = "app";
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/app/version",
      operationId: "app_version",
      tag,
      summary: "App Version",
      response: { schema: AppVersion },
      handler: () => ({ version: deps.version }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/app/app_deps",
      operationId: "get_app_deps",
      tag,
      summary: "Get App Deps",
      description: "Versions of the runtime and the main libraries",
      response: { schema: AppDependencyVersions },
      handler: () => ({
        atelier: deps.version,
        node: process.versions.node,
        v8: process.versions.v8,
        platform: process.platform,
      }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/app/patchmatch_status",
      operationId: "get_patchmatch_status",
      tag,
      summary: "Get Patchmatch Status",
      description: "Atelier has no PatchMatch; infill uses its own algorithms",
      response: { schema: z.boolean() },
      handler: () => false,
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/app/runtime_config",
      operationId: "get_runtime_config",
      tag,
      summary: "Get Runtime Config",
      response: { schema: AppConfigWithSetFields },
      handler: () => ({ set_fields: [...deps.setFields], config: redactConfig(deps.config) }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/app/logging",
      operationId: "get_log_level",
      tag,
      summary: "Get Log Level",
      description: "Returns the log level (Python's numbers: 10 debug … 50 critical)",
      response: { schema: LogLevel },
      handler: () => LEVEL_NUMBERS[deps.logLevel.getLevel()],
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/app/logging",
      operationId: "set_log_level",
      tag,
      summary: "Set Log Level",
      description: "Sets the log verbosity level (0 means debug)",
      body: LogLevel.describe("New log verbosity level"),
      response: { schema: LogLevel },
      handler: ({ body }) => {
        const name = (Object.entries(LEVEL_NUMBERS).find(([, n]) => n === body)?.[0] ?? "debug") as LevelName;
        deps.logLevel.setLevel(name);
        return LEVEL_NUMBERS[deps.logLevel.getLevel()];
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/app/invocation_cache",
      operationId: "clear_invocation_cache",
      tag,
      summary: "Clear Invocation Cache",
      description: "Clears the invocation cache",
      response: { schema: null },
      handler: async () => {
        await deps.invocationCache.clear();
        return null;
      },
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/app/invocation_cache/enable",
      operationId: "enable_invocation_cache",
      tag,
      summary: "Enable Invocation Cache",
      description: "Enables the invocation cache",
      response: { schema: null },
      handler: async () => {
        await deps.invocationCache.enable();
        return null;
      },
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/app/invocation_cache/disable",
      operationId: "disable_invocation_cache",
      tag,
      summary: "Disable Invocation Cache",
      description: "Disables the invocation cache",
      response: { schema: null },
      handler: async () => {
        await deps.invocationCache.disable();
        return null;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/app/invocation_cache/status",
      operationId: "get_invocation_cache_status",
      tag,
      summary: "Get Invocation Cache Status",
      description: "Gets the invocation cache's size, hits, misses and state",
      response: { schema: InvocationCacheStatus },
      handler: () => deps.invocationCache.status(),
    }),
  ];
}
