export * from "./create-services.js";
