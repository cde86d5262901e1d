import type { GraphJSON, GraphNode } from "@atelier/core";
import type { BatchDatum, NodeFieldValue } from "./queue-types.js";

/**
 * The `field_values` JSON text of the first `limit` sessions of a batch, in InvokeAI's order: for each run, the
 * cartesian product of the zipped groups (the last group varies fastest), each group contributing the values of its
 * datums at one index. Null entries when the batch has no data. Each item is serialised once, not once per session.
 */
export function expandFieldValues(
  data: readonly BatchDatum[][] | null,
  runs: number,
  limit: number,
): (string | null)[] {
  const groups = (data ?? []).filter((g) => g.length > 0);
  const out: (string | null)[] = [];
  if (groups.length === 0) {
    for (let r = 0; r < runs && out.length < limit; r++) out.push(null);
    return out;
  }
  // fragments[g][i]: the NodeFieldValue objects of group g at index i, as JSON text joined by commas.
  const fragments = groups.map((group) => {
    const prefixes = group.map(
      (d) => `{"node_path":${JSON.stringify(d.node_path)},"field_name":${JSON.stringify(d.field_name)},"value":`,
    );
    const length = group[0].items.length;
    const texts: string[] = new Array<string>(length);
    for (let i = 0; i < length; i++) {
      let text = "";
      for (let k = 0; k < group.length; k++) {
        if (k > 0) text += ",";
        text += `${prefixes[k]}${JSON.stringify(group[k].items[i]) ?? "null"}}`;
      }
      texts[i] = text;
    }
    return texts;
  });
  const lengths = fragments.map((f) => f.length);
  if (lengths.some((l) => l === 0)) return out;
  const index = new Array<number>(groups.length).fill(0);
  for (let r = 0; r < runs && out.length < limit; r++) {
    index.fill(0);
    for (;;) {
      let text = "[";
      for (let g = 0; g < groups.length; g++) {
        if (g > 0) text += ",";
        text += fragments[g][index[g]];
      }
      out.push(`${text}]`);
      if (out.length >= limit) return out;
      let g = groups.length - 1;
      while (g >= 0 && ++index[g] === lengths[g]) index[g--] = 0;
      if (g < 0) break;
    }
  }
  return out;
}

/** The graph with each field value written into its node (nodes are copied; the input graph is left alone). */
export function applyFieldValues(graph: GraphJSON, values: readonly NodeFieldValue[] | null): GraphJSON {
  if (values === null || values.length === 0) return graph;
  const nodes: Record<string, GraphNode> = { ...graph.nodes };
  for (const v of values) {
    const node = nodes[v.node_path];
    // Validated at enqueue; a node missing here means the stored batch was edited by hand: leave it to validation.
    if (node === undefined) continue;
    nodes[v.node_path] = { ...node, [v.field_name]: v.value };
  }
  return { id: graph.id, nodes, edges: graph.edges };
}
