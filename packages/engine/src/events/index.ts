export * from "./event-payloads.js";
export * from "./event-names.js";
export * from "./event-bus.js";
