import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// vitest runs tests without type-checking them, so the type-level checks live in a fixture that this test
// compiles with the TypeScript compiler. The fixture's @ts-expect-error lines make the check two-sided: an error
// that stops happening is reported as an unused directive.
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/typed-invocation.ts", import.meta.url));

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2023,
  lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  verbatimModuleSyntax: true,
  types: ["node"],
  paths: { "@atelier/core": [`${repoRoot}packages/core/src/index.ts`] },
};

describe("node SDK types", () => {
  it("type-checks the ARCHITECTURE.md example and the typing rules (this, outputs, defaults)", () => {
    const program = ts.createProgram([fixture], options);
    const source = program.getSourceFile(fixture)!;
    const problems = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
      (d) =>
        `line ${d.file!.getLineAndCharacterOfPosition(d.start!).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
    );
    expect(problems).toEqual([]);
  });
});
