import { describe } from "vitest";
import { sqliteTarget } from "./queue-fixture.js";
import { defineQueueTests } from "./queue-suite.js";

describe("SessionQueue on SQLite", () => {
  defineQueueTests(sqliteTarget);
});
