// Per-session node statistics (InvokeAI's InvocationStatsService): calls, time and memory per node type, logged as a
// table when a session ends. Reading RSS costs ~25 µs here, more than a small node, so it is sampled after nodes that
// took ≥ 1 ms and otherwise at most every 50 ms; the session's start and end are always sampled.

const GB = 1024 ** 3;
const SLOW_NODE_MS = 1;
const SAMPLE_EVERY_MS = 50;

/** Statistics of one node type within a session. */
export interface NodeTypeStats {
  node_type: string;
  num_calls: number;
  /** Of which served from the invocation cache. */
  cache_hits: number;
  time_used_seconds: number;
  /** Highest process RSS sampled right after a node of this type, in GB. */
  peak_rss_gb: number;
}

/** Statistics of one session (InvokeAI's graph stats summary, RAM figures in GB). */
export interface SessionStatsSummary {
  graph_execution_state_id: string;
  /** Time spent inside nodes. */
  execution_time_seconds: number;
  /** From the first node to the end of the session. */
  wall_time_seconds: number;
  /** Process RSS at the end. */
  ram_usage_gb: number;
  /** RSS at the end minus RSS at the start. */
  ram_change_gb: number;
  /** Highest RSS sampled during the session. */
  peak_rss_gb: number;
  node_stats: NodeTypeStats[];
}

interface Accumulator {
  calls: number;
  hits: number;
  ms: number;
  peakRss: number;
}

/** Collects node statistics for one session. */
export class InvocationStatsCollector {
  readonly sessionId: string;
  readonly #byType = new Map<string, Accumulator>();
  readonly #startWall = performance.now();
  readonly #startRss = process.memoryUsage.rss();
  #peakRss = this.#startRss;
  #lastRss = this.#startRss;
  #lastSample = this.#startWall;
  #endWall: number | undefined;
  #endRss: number | undefined;

  constructor(sessionId: string) {
    this.sessionId = sessionId;
  }

  /** Records one node run of `ms` milliseconds (`now` = performance.now() at its end, to save a clock read). */
  record(nodeType: string, ms: number, now: number, cached = false): void {
    let acc = this.#byType.get(nodeType);
    if (acc === undefined) this.#byType.set(nodeType, (acc = { calls: 0, hits: 0, ms: 0, peakRss: 0 }));
    acc.calls++;
    acc.ms += ms;
    if (cached) acc.hits++;
    if (ms >= SLOW_NODE_MS || now - this.#lastSample >= SAMPLE_EVERY_MS) {
      this.#lastSample = now;
      this.#lastRss = process.memoryUsage.rss();
      if (this.#lastRss > this.#peakRss) this.#peakRss = this.#lastRss;
    }
    if (this.#lastRss > acc.peakRss) acc.peakRss = this.#lastRss;
  }

  /** Marks the end of the session (sampling RSS once more). */
  finish(): void {
    if (this.#endWall !== undefined) return;
    this.#endWall = performance.now();
    this.#endRss = process.memoryUsage.rss();
    if (this.#endRss > this.#peakRss) this.#peakRss = this.#endRss;
  }

  /** The statistics so far. */
  summary(): SessionStatsSummary {
    const endWall = this.#endWall ?? performance.now();
    const endRss = this.#endRss ?? process.memoryUsage.rss();
    const nodeStats: NodeTypeStats[] = [];
    let execMs = 0;
    for (const [type, acc] of this.#byType) {
      execMs += acc.ms;
      nodeStats.push({
        node_type: type,
        num_calls: acc.calls,
        cache_hits: acc.hits,
        time_used_seconds: acc.ms / 1000,
        peak_rss_gb: acc.peakRss / GB,
      });
    }
    return {
      graph_execution_state_id: this.sessionId,
      execution_time_seconds: execMs / 1000,
      wall_time_seconds: (endWall - this.#startWall) / 1000,
      ram_usage_gb: endRss / GB,
      ram_change_gb: (endRss - this.#startRss) / GB,
      peak_rss_gb: Math.max(this.#peakRss, endRss) / GB,
      node_stats: nodeStats,
    };
  }
}

/** The summary as the table InvokeAI logs after each session. */
export function formatStatsTable(summary: SessionStatsSummary): string {
  const rows = summary.node_stats.map((s) => [
    s.node_type,
    String(s.num_calls),
    String(s.cache_hits),
    `${s.time_used_seconds.toFixed(3)}s`,
    `${s.peak_rss_gb.toFixed(3)}G`,
  ]);
  const header = ["Node", "Calls", "Cached", "Seconds", "Peak RSS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padStart(widths[i]) : c.padStart(widths[i]))).join("  ");
  const sign = summary.ram_change_gb >= 0 ? "+" : "";
  return [
    `Graph stats: ${summary.graph_execution_state_id}`,
    line(header),
    ...rows.map(line),
    `TOTAL GRAPH EXECUTION TIME: ${summary.execution_time_seconds.toFixed(3)}s`,
    `TOTAL GRAPH WALL TIME: ${summary.wall_time_seconds.toFixed(3)}s`,
    `RAM used by the process: ${summary.ram_usage_gb.toFixed(2)}G (${sign}${summary.ram_change_gb.toFixed(3)}G), peak ${summary.peak_rss_gb.toFixed(2)}G`,
  ].join("\n");
}
