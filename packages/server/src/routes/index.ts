import type { ModelManager, WorkflowLibrary } from "@atelier/engine";
import type { AnyRouteSpec } from "../http/route-spec.js";
import { appRoutes, type AppRouteDeps } from "./app-routes.js";
import { boardImageRoutes, boardRoutes, type BoardsPort } from "./board-routes.js";
import { headlessRoutes, type HeadlessPort } from "./headless-routes.js";
import { imageRoutes, type ImagesPort } from "./image-routes.js";
import { modelsRoutes } from "./models-routes.js";
import { queueRoutes, type QueuePort } from "./queue-routes.js";
import { stylePresetRoutes, type StylePresetsPort } from "./style-preset-routes.js";
import { utilityRoutes } from "./utility-routes.js";
import { workflowRoutes } from "./workflow-routes.js";

/** Everything the API routes call into. */
export interface RouteDeps {
  app: AppRouteDeps;
  images: ImagesPort;
  boards: BoardsPort;
  queue: QueuePort;
  workflows: WorkflowLibrary;
  headless: HeadlessPort;
  /** Style presets (`/api/v1/style_presets`); their routes are left out without them. */
  stylePresets?: StylePresetsPort;
  /** The model manager (`/api/v2/models`); its routes are left out without one. */
  models?: ModelManager;
}

/** Every route of the HTTP API, in documentation order. */
export function allRoutes(deps: RouteDeps): AnyRouteSpec[] {
  return [
    ...imageRoutes({ images: deps.images }),
    ...boardRoutes({ boards: deps.boards }),
    ...boardImageRoutes({ boards: deps.boards }),
    ...queueRoutes({ queue: deps.queue }),
    ...appRoutes(deps.app),
    ...workflowRoutes({ workflows: deps.workflows }),
    ...headlessRoutes({ headless: deps.headless }),
    ...utilityRoutes(),
    ...(deps.stylePresets === undefined ? [] : stylePresetRoutes({ stylePresets: deps.stylePresets })),
    ...(deps.models === undefined ? [] : modelsRoutes({ models: deps.models })),
  ];
}

export type { AppRouteDeps, BoardsPort, HeadlessPort, ImagesPort, QueuePort, StylePresetsPort };
