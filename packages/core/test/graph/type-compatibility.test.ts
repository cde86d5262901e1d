import { describe, expect, it } from "vitest";
import { isCompatible, listItemType, typeMembers } from "../../src/graph/index.js";
import { T } from "./fixtures.js";

const IMAGE = T.ref("ImageField");
const LATENTS = T.ref("LatentsField");

describe("isCompatible", () => {
  it("accepts identical types", () => {
    for (const t of [T.int, T.float, T.str, T.bool, IMAGE, T.list(T.int), T.enum("a", "b")])
      expect(isCompatible(t, t)).toBe(true);
  });

  it("treats Any on either side, or as a union member, as matching everything", () => {
    expect(isCompatible(T.any, IMAGE)).toBe(true);
    expect(isCompatible(IMAGE, T.any)).toBe(true);
    expect(isCompatible(T.int, T.union(T.any, T.none))).toBe(true);
    expect(isCompatible(T.union(T.any, T.none), T.str)).toBe(true);
    expect(isCompatible(T.list(T.any), T.list(IMAGE))).toBe(true);
    expect(isCompatible(T.list(IMAGE), T.list(T.any))).toBe(true);
  });

  it("refuses different named models and different scalars", () => {
    expect(isCompatible(IMAGE, LATENTS)).toBe(false);
    expect(isCompatible(T.str, T.int)).toBe(false);
    expect(isCompatible(T.float, T.int)).toBe(false);
    expect(isCompatible(T.bool, T.str)).toBe(false);
  });

  it("allows pydantic's coercions int→float and int|float→str", () => {
    expect(isCompatible(T.int, T.float)).toBe(true);
    expect(isCompatible(T.int, T.str)).toBe(true);
    expect(isCompatible(T.float, T.str)).toBe(true);
    expect(isCompatible(T.union(T.int, T.float), T.str)).toBe(true);
    expect(isCompatible(T.union(T.int, T.str), T.float)).toBe(false);
  });

  it("accepts a type into a union containing it, and T into T | list[T]", () => {
    expect(isCompatible(T.int, T.union(T.int, T.none))).toBe(true);
    expect(isCompatible(IMAGE, T.union(IMAGE, T.list(IMAGE)))).toBe(true);
    expect(isCompatible(T.list(IMAGE), T.union(IMAGE, T.list(IMAGE)))).toBe(true);
    expect(isCompatible(T.union(IMAGE, T.list(IMAGE)), T.union(T.list(IMAGE), IMAGE, T.none))).toBe(true);
    expect(isCompatible(LATENTS, T.union(IMAGE, T.list(IMAGE)))).toBe(false);
  });

  it("does not confuse T with list[T]", () => {
    expect(isCompatible(IMAGE, T.list(IMAGE))).toBe(false);
    expect(isCompatible(T.list(IMAGE), IMAGE)).toBe(false);
    expect(isCompatible(T.list(T.int), T.list(T.float))).toBe(true);
    expect(isCompatible(T.list(T.str), T.list(T.int))).toBe(false);
  });

  it("drops None on both sides", () => {
    expect(isCompatible(T.union(T.int, T.none), T.int)).toBe(true);
    expect(isCompatible(T.union(IMAGE, T.none), T.union(LATENTS, T.none))).toBe(false);
    expect(isCompatible(T.none, T.union(T.int, T.none))).toBe(true);
    expect(isCompatible(T.none, T.int)).toBe(false);
  });

  it("requires every member of a union output to fit", () => {
    expect(isCompatible(T.union(T.int, IMAGE), T.int)).toBe(false);
    expect(isCompatible(T.union(T.int, T.bool), T.int)).toBe(true);
  });

  it("handles Literal types", () => {
    expect(isCompatible(T.enum("a"), T.enum("a", "b"))).toBe(true);
    expect(isCompatible(T.enum("a", "c"), T.enum("a", "b"))).toBe(false);
    expect(isCompatible(T.enum("a"), T.str)).toBe(true);
    expect(isCompatible(T.str, T.enum("a"))).toBe(false);
  });
});

describe("type helpers", () => {
  it("flattens unions and drops None", () => {
    expect(typeMembers(T.union(T.int, T.union(T.str, T.none)))).toEqual([T.int, T.str]);
  });

  it("finds list item types", () => {
    expect(listItemType(T.list(T.int))).toEqual(T.int);
    expect(listItemType(T.union(T.list(IMAGE), T.none))).toEqual(IMAGE);
    expect(listItemType(T.any)).toEqual(T.any);
    expect(listItemType(T.union(IMAGE, T.list(IMAGE)))).toBeUndefined();
    expect(listItemType(T.int)).toBeUndefined();
  });
});
