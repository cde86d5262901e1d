import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AnyRouteSpec } from "./route-spec.js";
import { RequestValidationError, coerceFromText, validatePart } from "./request-validation.js";

/** `/a/{b}/c` → `/a/:b/c` (Fastify's path syntax). */
export function toFastifyPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ":$1");
}

function hasJsonBody(request: FastifyRequest): boolean {
  return request.body !== undefined && request.body !== null;
}

/** Registers route specs on a Fastify instance, validating path, query and body against their schemas first. */
export function registerRoutes(app: FastifyInstance, routes: readonly AnyRouteSpec[]): void {
  const explicitHead = new Set(routes.filter((r) => r.method === "HEAD").map((r) => r.path));
  for (const spec of routes) {
    app.route({
      method: spec.method,
      url: toFastifyPath(spec.path),
      exposeHeadRoute: spec.method === "GET" ? !explicitHead.has(spec.path) : undefined,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = spec.params
          ? validatePart("path", spec.params, coerceFromText(spec.params, request.params))
          : request.params;
        const query = spec.query
          ? validatePart("query", spec.query, coerceFromText(spec.query, request.query))
          : request.query;
        let body: unknown = undefined;
        if (spec.body !== undefined && spec.bodyContentType !== "multipart/form-data") {
          const required = spec.bodyRequired ?? true;
          if (!hasJsonBody(request)) {
            if (required) throw new RequestValidationError([{ loc: ["body"], msg: "Field required", type: "missing" }]);
          } else {
            body = validatePart("body", spec.body, request.body);
          }
        }
        const result = await spec.handler({ params, query, body, request, reply });
        if (reply.sent) return reply;
        // Fastify refuses to send `undefined` from an async handler; FastAPI sends `null` for "no content".
        return result === undefined ? null : result;
      },
    });
  }
}
