/** Something that exists once per iteration context: `ctx[k]` is its index in the k-th iterator of its scope. */
export interface ContextCopy {
  readonly ctx: readonly number[];
}

/** The copies of one upstream node and the iterator ranks (ascending) their contexts are over. */
export interface JoinInput<T extends ContextCopy> {
  readonly scope: readonly number[];
  readonly copies: readonly T[];
}

/** One consistent combination: the joined context over the target scope and the copy picked from each input. */
export interface JoinedContext<T extends ContextCopy> {
  readonly ctx: number[];
  readonly picks: T[];
}

function sameScope(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function keyOf(ctx: readonly number[], positions: readonly number[]): string {
  let k = "";
  for (const p of positions) k += `${ctx[p]},`;
  return k;
}

/**
 * Joins the copies of several upstream nodes into the contexts of a downstream node whose scope is the union of
 * theirs: copies agree on every iterator they share; independent iterators give their cartesian product.
 * A hash join per input, so the cost is the size of the inputs plus the size of the result.
 * Results are in lexicographic order of their contexts (copies of each input are assumed to be in that order).
 * A result may share its `ctx` array with an input copy: contexts are never mutated.
 */
export function joinContexts<T extends ContextCopy>(
  scope: readonly number[],
  inputs: readonly JoinInput<T>[],
): JoinedContext<T>[] {
  if (scope.length === 0) {
    const picks: T[] = [];
    for (const input of inputs) {
      if (input.copies.length === 0) return [];
      picks.push(input.copies[0]);
    }
    return [{ ctx: [], picks }];
  }
  // Common case: one input spans the whole scope and every other input is outside any loop (one copy each).
  const driver = inputs.findIndex((i) => sameScope(i.scope, scope));
  if (driver >= 0 && inputs.every((i, k) => k === driver || i.scope.length === 0)) {
    const fixed: T[] = [];
    for (const input of inputs) {
      if (input.copies.length === 0) return [];
      fixed.push(input.copies[0]);
    }
    return inputs[driver].copies.map((copy) => {
      const picks = fixed.slice();
      picks[driver] = copy;
      return { ctx: copy.ctx as number[], picks };
    });
  }
  const posOf = new Map<number, number>();
  scope.forEach((rank, i) => posOf.set(rank, i));
  const bound = new Array<boolean>(scope.length).fill(false);
  let combos: JoinedContext<T>[] = [{ ctx: new Array<number>(scope.length).fill(-1), picks: [] }];

  for (const input of inputs) {
    const positions = input.scope.map((r) => posOf.get(r)!);
    const shared: number[] = [];
    const fresh: number[] = [];
    positions.forEach((p, k) => (bound[p] ? shared : fresh).push(k));
    const next: JoinedContext<T>[] = [];
    const extend = (combo: JoinedContext<T>, copy: T): void => {
      let ctx = combo.ctx;
      if (fresh.length > 0) {
        ctx = ctx.slice();
        for (const k of fresh) ctx[positions[k]] = copy.ctx[k];
      }
      next.push({ ctx, picks: [...combo.picks, copy] });
    };
    if (shared.length === 0) {
      for (const combo of combos) for (const copy of input.copies) extend(combo, copy);
    } else {
      const index = new Map<string, T[]>();
      for (const copy of input.copies) {
        const k = keyOf(copy.ctx, shared);
        const list = index.get(k);
        if (list) list.push(copy);
        else index.set(k, [copy]);
      }
      const sharedPositions = shared.map((k) => positions[k]);
      for (const combo of combos) {
        for (const copy of index.get(keyOf(combo.ctx, sharedPositions)) ?? []) extend(combo, copy);
      }
    }
    for (const k of fresh) bound[positions[k]] = true;
    combos = next;
    if (combos.length === 0) return [];
  }
  if (scope.length > 1) {
    combos.sort((a, b) => {
      for (let i = 0; i < scope.length; i++) if (a.ctx[i] !== b.ctx[i]) return a.ctx[i] - b.ctx[i];
      return 0;
    });
  }
  return combos;
}
