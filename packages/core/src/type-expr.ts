/**
 * A structural description of a field's type, used for edge compatibility checks in graph validation.
 * It is derived from a field's zod schema when a node is defined (see node-definition), and mirrors the Python
 * annotations InvokeAI compares (`int`, `float`, `str`, `bool`, `list[T]`, `Union[...]`, `Any`, named models).
 */
export type TypeExpr =
  | { kind: "any" }
  | { kind: "int" }
  | { kind: "float" }
  | { kind: "str" }
  | { kind: "bool" }
  | { kind: "null" }
  /** A string literal / enum annotation (`Literal["a","b"]`). */
  | { kind: "enum"; values: readonly string[] }
  /** A named model such as `ImageField`, `LatentsField`, `MetadataField`, `ModelIdentifierField`. */
  | { kind: "ref"; name: string }
  | { kind: "list"; item: TypeExpr }
  | { kind: "union"; members: readonly TypeExpr[] };

/** Compact human-readable form used in error messages, e.g. `list[ImageField] | None`. */
export function formatTypeExpr(t: TypeExpr): string {
  switch (t.kind) {
    case "any":
      return "Any";
    case "null":
      return "None";
    case "enum":
      return `Literal[${t.values.map((v) => JSON.stringify(v)).join(", ")}]`;
    case "ref":
      return t.name;
    case "list":
      return `list[${formatTypeExpr(t.item)}]`;
    case "union":
      return t.members.map(formatTypeExpr).join(" | ");
    default:
      return t.kind;
  }
}
