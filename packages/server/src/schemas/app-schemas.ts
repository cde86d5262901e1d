import { z } from "zod";
import { named } from "./api-registry.js";

export const AppVersion = named(
  "AppVersion",
  z.object({ version: z.string().describe("App version"), highlights: z.array(z.string()).optional() }),
  "App Version Response",
);

export const AppDependencyVersions = named("AppDependencyVersions", z.record(z.string(), z.string()));

export const LogLevel = named(
  "LogLevel",
  z.union([z.literal(0), z.literal(10), z.literal(20), z.literal(30), z.literal(40), z.literal(50)]),
);

export const InvocationCacheStatus = named(
  "InvocationCacheStatus",
  z.object({
    size: z.number().int().describe("The current size of the invocation cache"),
    hits: z.number().int().describe("The number of cache hits"),
    misses: z.number().int().describe("The number of cache misses"),
    enabled: z.boolean().describe("Whether the invocation cache is enabled"),
    max_size: z.number().int().describe("The maximum size of the invocation cache"),
  }),
);

export const AppConfigWithSetFields = named(
  "InvokeAIAppConfigWithSetFields",
  z.object({
    set_fields: z.array(z.string()).describe("The set fields"),
    config: z.record(z.string(), z.unknown()).describe("The app config (secrets redacted)"),
  }),
  "App config with the names of the fields set explicitly",
);
