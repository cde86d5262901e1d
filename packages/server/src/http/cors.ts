import type { FastifyInstance } from "fastify";

/** CORS settings from the config (`allow_origins`, `allow_credentials`, `allow_methods`, `allow_headers`). */
export interface CorsOptions {
  origins: readonly string[];
  credentials: boolean;
  methods: readonly string[];
  headers: readonly string[];
}

/**
 * Answers cross-origin requests from the configured origins (none by default, as InvokeAI): sets the CORS headers
 * on matching requests and answers preflight `OPTIONS` requests with 204.
 */
export function installCors(app: FastifyInstance, options: CorsOptions): void {
  if (options.origins.length === 0) return;
  const any = options.origins.includes("*");
  const allowed = new Set(options.origins);
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined || (!any && !allowed.has(origin))) return;
    // With credentials the origin must be echoed; "*" is refused by browsers then.
    void reply.header("Access-Control-Allow-Origin", any && !options.credentials ? "*" : origin);
    void reply.header("Vary", "Origin");
    if (options.credentials) void reply.header("Access-Control-Allow-Credentials", "true");
    if (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) {
      const methods = options.methods.includes("*")
        ? "GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS"
        : options.methods.join(",");
      const headers = options.headers.includes("*")
        ? (request.headers["access-control-request-headers"] ?? "*")
        : options.headers.join(",");
      return reply
        .status(204)
        .header("Access-Control-Allow-Methods", methods)
        .header("Access-Control-Allow-Headers", headers)
        .send();
    }
  });
}
