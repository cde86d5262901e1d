export * from "./core-package-link.js";
export * from "./load-node-packs.js";
