import type { TypeExpr } from "../type-expr.js";

const ANY: TypeExpr = { kind: "any" };

function collectMembers(t: TypeExpr, out: TypeExpr[]): void {
  if (t.kind === "union") for (const m of t.members) collectMembers(m, out);
  else if (t.kind !== "null") out.push(t);
}

/** The members of a type with unions flattened and `None` dropped (a plain type is its own single member). */
export function typeMembers(t: TypeExpr): TypeExpr[] {
  if (t.kind !== "union") return t.kind === "null" ? [] : [t];
  const out: TypeExpr[] = [];
  collectMembers(t, out);
  return out;
}

/** Whether `None` is one of the type's members. */
function acceptsNull(t: TypeExpr): boolean {
  return t.kind === "null" || (t.kind === "union" && t.members.some(acceptsNull));
}

/** A stable structural key of a type, for de-duplication. */
export function typeKey(t: TypeExpr): string {
  switch (t.kind) {
    case "enum":
      return `enum(${[...t.values].sort().join("|")})`;
    case "ref":
      return `ref(${t.name})`;
    case "list":
      return `list(${typeKey(t.item)})`;
    case "union":
      return `union(${t.members.map(typeKey).sort().join(",")})`;
    default:
      return t.kind;
  }
}

/** Compatibility of two single (non-union, non-null, non-Any) types. */
function singleCompatible(from: TypeExpr, to: TypeExpr): boolean {
  switch (to.kind) {
    case "int":
      // Python's bool is a subclass of int.
      return from.kind === "int" || from.kind === "bool";
    case "float":
      // pydantic coerces int to float.
      return from.kind === "float" || from.kind === "int";
    case "str":
      // pydantic coerces int|float to str; a Literal of strings is a str.
      return from.kind === "str" || from.kind === "int" || from.kind === "float" || from.kind === "enum";
    case "bool":
      return from.kind === "bool";
    case "enum":
      return from.kind === "enum" && from.values.every((v) => to.values.includes(v));
    case "ref":
      return from.kind === "ref" && from.name === to.name;
    case "list":
      return from.kind === "list" && isCompatible(from.item, to.item);
    default:
      return false;
  }
}

/**
 * Whether an output of type `from` may feed an input of type `to` (InvokeAI's `are_connection_types_compatible`,
 * made exact): `Any` on either side (also as a union member) matches everything; `None` members are dropped;
 * otherwise every member of `from` must fit some member of `to` — same type, `int→float`, `int|float→str`,
 * `bool→int`, a Literal into `str` or a wider Literal, `list[A]→list[B]` when `A→B`, and so `T` into a
 * `T | list[T]` input. A bare `T` does not fit `list[T]`, nor `list[T]` fit `T`.
 */
export function isCompatible(from: TypeExpr, to: TypeExpr): boolean {
  if (from.kind === "any" || to.kind === "any") return true;
  // Fast path for the usual case of two plain types.
  if (from.kind !== "union" && from.kind !== "null" && to.kind !== "union" && to.kind !== "null")
    return singleCompatible(from, to);
  const fromMembers = typeMembers(from);
  const toMembers = typeMembers(to);
  if (fromMembers.some((m) => m.kind === "any") || toMembers.some((m) => m.kind === "any")) return true;
  // An output that can only be None fits an input that accepts None.
  if (fromMembers.length === 0) return acceptsNull(to);
  return fromMembers.every((f) => toMembers.some((t) => singleCompatible(f, t)));
}

/** The item type of a list type (`list[T]` or `list[T] | None`), `Any` for `Any`, undefined for anything else. */
export function listItemType(t: TypeExpr): TypeExpr | undefined {
  if (t.kind === "any") return ANY;
  const members = typeMembers(t);
  if (members.length === 1 && members[0].kind === "list") return members[0].item;
  if (members.some((m) => m.kind === "any")) return ANY;
  return undefined;
}
