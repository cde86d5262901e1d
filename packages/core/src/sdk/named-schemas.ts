import type { z } from "zod";

/** What a named schema is called in `components.schemas`, and its description there. */
export interface SchemaName {
  readonly name: string;
  readonly description?: string;
}

// Kept on globalThis so that a second copy of @atelier/core (a node pack resolving its own) sees the same names:
// an `ImageField` made by either copy is emitted as `#/components/schemas/ImageField`.
const NAMES_KEY = Symbol.for("atelier.schemaNames");
type NameTable = WeakMap<object, SchemaName>;

function nameTable(): NameTable {
  const holder = globalThis as { [NAMES_KEY]?: NameTable };
  return (holder[NAMES_KEY] ??= new WeakMap());
}

/**
 * Gives a zod schema a name, so that JSON Schema refers to it as `#/components/schemas/<name>` and `TypeExpr`
 * derivation reports it as `{kind: "ref", name}` (InvokeAI's named pydantic models and enums).
 * `.nullable()` of a named schema refers to it; `.extend()` of it is a new, unnamed type.
 */
export function namedSchema<S extends z.ZodType>(name: string, schema: S, description?: string): S {
  nameTable().set(schema, description === undefined ? { name } : { name, description });
  return schema;
}

/**
 * The name given to a schema by `namedSchema`, if any. A clone made by `.describe()`, `.meta()` or a refinement
 * keeps its parent's name (zod links such clones to their parent); `.extend()`, `.partial()`… make new types.
 */
export function getSchemaName(schema: object): SchemaName | undefined {
  const table = nameTable();
  let current: object | undefined = schema;
  while (current !== undefined) {
    const found = table.get(current);
    if (found !== undefined) return found;
    current = (current as { _zod?: { parent?: object } })._zod?.parent;
  }
  return undefined;
}
