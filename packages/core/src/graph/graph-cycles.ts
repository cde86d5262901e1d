import type { Graph } from "./graph.js";

/**
 * The node ids around the first cycle found (first id repeated at the end), or undefined for a DAG.
 * Iterative depth-first search in node insertion order, O(nodes + edges).
 */
export function findCycle(graph: Graph): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1 = on the DFS stack, 2 = done
  for (const start of graph.nodeIds()) {
    if (state.has(start)) continue;
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const outs = graph.outputEdges(top.id);
      if (top.next >= outs.length) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const child = outs[top.next++].destination.node_id;
      if (!graph.hasNode(child)) continue;
      const s = state.get(child);
      if (s === 1) {
        const from = stack.findIndex((f) => f.id === child);
        return [...stack.slice(from).map((f) => f.id), child];
      }
      if (s === undefined) {
        state.set(child, 1);
        stack.push({ id: child, next: 0 });
      }
    }
  }
  return undefined;
}
