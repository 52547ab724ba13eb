import { FlinkError } from './errors';

/**
 * A compiled plan (`COMPILE PLAN`) as far as the dedupe horizon needs it: Flink writes one node
 * per exec node, each stateful one with its state's metadata (FLIP-292, "Configure
 * Operator-level State TTL"). Everything else in the plan is kept as Flink wrote it.
 */
interface PlanNode {
  id: number;
  type: string;
  isRowtime?: boolean;
  keepLastRow?: boolean;
  state?: { index: number; ttl: string; name: string }[];
  description?: string;
  [key: string]: unknown;
}

/** The exec node of a `ROW_NUMBER() … = 1` over a time attribute (Flink 1.15 to 2.2: version 1). */
const DEDUPLICATE = /^stream-exec-deduplicate_\d+$/;

export interface DedupeTtlResult {
  /** The plan with the new TTLs, in the layout Flink writes (two-space JSON). */
  plan: string;
  /** The ids (after renumbering) of the Deduplicate nodes whose state now has the TTL. */
  nodes: number[];
}

/**
 * Sets the state time-to-live of the plan's event-id deduplications to `ttlMs`: the Deduplicate
 * exec nodes that keep the first row by processing time (`ROW_NUMBER() OVER (PARTITION BY id
 * ORDER BY PROCTIME()) = 1`). Flink's STATE_TTL hint does not reach them and the job-wide
 * `table.exec.state.ttl` would also expire the Top-N state of the last/last_k features, so the
 * TTL is set here on those nodes alone; every other node (Top-N, the time windows' group
 * aggregations with their STATE_TTL hints, a keep-last-row or event-time dedupe, whose forgotten
 * row would change results rather than let a late redelivery count) keeps what Flink compiled.
 */
export function withDedupeTtl(planJson: string, ttlMs: number): DedupeTtlResult {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) {
    throw new FlinkError(
      `a dedupe state TTL must be a whole number of milliseconds ≥ 1, got ${ttlMs}`,
    );
  }
  let plan: { nodes?: unknown };
  try {
    plan = JSON.parse(planJson) as { nodes?: unknown };
  } catch (e) {
    throw new FlinkError(`the compiled plan is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(plan.nodes)) throw new FlinkError('the compiled plan has no "nodes" list');
  const nodes: PlanNode[] = [];
  for (const node of plan.nodes as PlanNode[]) {
    if (!DEDUPLICATE.test(node.type) || node.isRowtime !== false || node.keepLastRow !== false) {
      continue;
    }
    const state = node.state?.filter((s) => s.name === 'deduplicateState') ?? [];
    if (state.length !== 1) {
      // A Flink whose plan no longer says where the dedupe state is: refuse rather than deploy
      // a job whose state would grow without the horizon the operator was promised.
      throw new FlinkError(
        `Deduplicate node ${node.id} of the compiled plan has no single "deduplicateState"; cannot set its TTL`,
      );
    }
    state[0].ttl = `${ttlMs} ms`;
    nodes.push(node);
  }
  renumber(plan as { nodes: PlanNode[]; edges?: { source: number; target: number }[] });
  return { plan: JSON.stringify(plan, null, 2), nodes: nodes.map((n) => n.id) };
}

/**
 * Numbers the nodes 1, 2, … in the plan's order (and their edges with them). Flink takes node ids
 * from a counter of the whole SQL Gateway JVM, so the same statement compiled twice gets other
 * ids (580… then 643…, measured), and a job from one plan did not restore the savepoint of a job
 * from the other ("Cannot map checkpoint/savepoint state for operator …"); with the ids the plan's
 * order gives, the same statement always gives the same plan.
 */
function renumber(plan: { nodes: PlanNode[]; edges?: { source: number; target: number }[] }) {
  const ids = new Map(plan.nodes.map((n, i) => [n.id, i + 1]));
  const id = (old: number) => {
    const next = ids.get(old);
    if (next === undefined)
      throw new FlinkError(`an edge of the compiled plan names no node: ${old}`);
    return next;
  };
  for (const edge of plan.edges ?? []) {
    edge.source = id(edge.source);
    edge.target = id(edge.target);
  }
  for (const node of plan.nodes) node.id = id(node.id);
}
