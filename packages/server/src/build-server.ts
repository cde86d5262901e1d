import Fastify, { type FastifyInstance } from "fastify";
import multipart from "@fastify/multipart";
import { installCors, type CorsOptions } from "./http/cors.js";
import { installErrorHandlers } from "./http/error-handler.js";
import { registerRoutes } from "./http/register-routes.js";
import type { AnyRouteSpec } from "./http/route-spec.js";
import { buildOpenApiDocument, type OpenApiDocument } from "./openapi/openapi-document.js";
import type { JsonSchema } from "./openapi/json-schema.js";
import { apiRegistry } from "./schemas/api-registry.js";
import "./schemas/event-schemas.js";
import { attachSocketBridge, type SocketBridge, type SubscribeAll } from "./events/socket-bridge.js";
import { renderDocsPage } from "./pages/docs-page.js";
import { renderStatusPage } from "./pages/status-page.js";

/** Everything the HTTP layer is built from, already resolved from the engine's services. */
export interface ServerParts {
  version: string;
  /** The root folder, shown on the status page. */
  root: string;
  routes: readonly AnyRouteSpec[];
  /** Every node and output schema (and field models), keyed by component name. */
  nodeSchemas(): Record<string, JsonSchema>;
  subscribeEvents: SubscribeAll;
  /** Largest accepted upload in bytes (config `upload_max_bytes`). */
  uploadMaxBytes: number;
  /** Largest accepted JSON body in bytes. */
  jsonBodyLimit?: number;
  cors?: CorsOptions;
  /** Called when the server closes, after HTTP and sockets are down. */
  onClose?: () => Promise<void>;
}

/** A built server: the Fastify app with socket.io attached. */
export interface AtelierServer {
  app: FastifyInstance;
  sockets: SocketBridge;
  /** The OpenAPI document (built on first use, then cached). */
  openapi(): OpenApiDocument;
  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:9090`. */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

/** Builds the Fastify app: error handlers, every route, `/openapi.json`, `/docs`, `/`, and the socket.io bridge. */
export async function buildServer(parts: ServerParts): Promise<AtelierServer> {
  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    bodyLimit: parts.jsonBodyLimit ?? 64 * 1024 * 1024,
  });
  installErrorHandlers(app);
  if (parts.cors !== undefined) installCors(app, parts.cors);
  await app.register(multipart, {
    limits: { fileSize: parts.uploadMaxBytes, files: 1, fields: 32 },
    throwFileSizeLimit: true,
  });
  // DELETE and other bodiless requests sent with a JSON content type and an empty body are fine, as in FastAPI;
  // anything else goes through Fastify's own parser (which refuses __proto__ / constructor poisoning).
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) {
        const bad = error as Error & { statusCode?: number; code?: string };
        bad.statusCode = 400;
        bad.code = "invalid_json_body";
        bad.message = `Request body is not valid JSON: ${bad.message}`;
        done(bad, undefined);
      } else {
        done(null, value);
      }
    });
  });
  registerRoutes(app, parts.routes);

  let openapi: OpenApiDocument | undefined;
  const document = (): OpenApiDocument =>
    (openapi ??= buildOpenApiDocument({
      routes: parts.routes,
      registry: apiRegistry,
      extraSchemas: parts.nodeSchemas(),
      version: parts.version,
    }));
  app.get("/openapi.json", async () => document());
  app.get("/docs", async (_request, reply) => reply.type("text/html; charset=utf-8").send(renderDocsPage("Atelier")));
  app.get("/", async (_request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .send(renderStatusPage({ version: parts.version, root: parts.root, queueId: "default" })),
  );

  const sockets = attachSocketBridge(app.server, parts.subscribeEvents, { corsOrigins: parts.cors?.origins });
  let closed = false;
  return {
    app,
    sockets,
    openapi: document,
    async listen(host, port) {
      await app.listen({ host, port });
      const address = app.server.address();
      const actualPort = typeof address === "object" && address !== null ? address.port : port;
      const shownHost = host.includes(":") ? `[${host}]` : host;
      return `http://${shownHost}:${actualPort}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await sockets.close();
      await app.close();
      await parts.onClose?.();
    },
  };
}
