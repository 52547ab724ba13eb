import { FlinkError } from './errors';
import { withDedupeTtl } from './plan';

/** A compiled plan in Flink's own layout, cut to what the transformation looks at. */
const PLAN = `{
  "flinkVersion" : "2.2",
  "nodes" : [ {
    "id" : 1,
    "type" : "stream-exec-table-source-scan_1",
    "outputType" : "ROW<\`event_id\` VARCHAR(2147483647)>"
  }, {
    "id" : 3,
    "type" : "stream-exec-deduplicate_1",
    "configuration" : { "table.exec.mini-batch.enabled" : "false" },
    "uniqueKeys" : [ 0 ],
    "isRowtime" : false,
    "keepLastRow" : false,
    "generateUpdateBefore" : false,
    "state" : [ { "index" : 0, "ttl" : "0 ms", "name" : "deduplicateState" } ],
    "description" : "Deduplicate(keep=[FirstRow], key=[event_id], order=[PROCTIME])"
  }, {
    "id" : 4,
    "type" : "stream-exec-rank_1",
    "state" : [ { "index" : 0, "ttl" : "0 ms", "name" : "rankState" } ],
    "description" : "Rank(strategy=[AppendFastStrategy], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=5])"
  }, {
    "id" : 5,
    "type" : "stream-exec-group-aggregate_1",
    "state" : [ { "index" : 0, "ttl" : "3660000 ms", "name" : "groupAggregateState" } ]
  }, {
    "id" : 6,
    "type" : "stream-exec-deduplicate_1",
    "isRowtime" : false,
    "keepLastRow" : true,
    "state" : [ { "index" : 0, "ttl" : "0 ms", "name" : "deduplicateState" } ]
  }, {
    "id" : 7,
    "type" : "stream-exec-deduplicate_1",
    "isRowtime" : true,
    "keepLastRow" : false,
    "state" : [ { "index" : 0, "ttl" : "0 ms", "name" : "deduplicateState" } ]
  }, {
    "id" : 9,
    "type" : "stream-exec-deduplicate_1",
    "isRowtime" : false,
    "keepLastRow" : false,
    "state" : [ { "index" : 0, "ttl" : "86400000 ms", "name" : "deduplicateState" } ]
  } ],
  "edges" : [ { "source" : 1, "target" : 3, "shuffle" : { "type" : "FORWARD" }, "shuffleMode" : "PIPELINED" } ]
}`;

describe('withDedupeTtl', () => {
  it('sets the TTL of the first-row processing-time Deduplicate nodes only', () => {
    const { plan, nodes } = withDedupeTtl(PLAN, 604800000);
    // Renumbered in the plan's order: 1, 3, 4, 5, 6, 7, 9 → 1 … 7 (edges with them).
    expect(nodes).toEqual([2, 7]);
    const expected = {
      flinkVersion: '2.2',
      nodes: [
        {
          id: 1,
          type: 'stream-exec-table-source-scan_1',
          outputType: 'ROW<`event_id` VARCHAR(2147483647)>',
        },
        {
          id: 2,
          type: 'stream-exec-deduplicate_1',
          configuration: { 'table.exec.mini-batch.enabled': 'false' },
          uniqueKeys: [0],
          isRowtime: false,
          keepLastRow: false,
          generateUpdateBefore: false,
          state: [{ index: 0, ttl: '604800000 ms', name: 'deduplicateState' }],
          description: 'Deduplicate(keep=[FirstRow], key=[event_id], order=[PROCTIME])',
        },
        {
          id: 3,
          type: 'stream-exec-rank_1',
          state: [{ index: 0, ttl: '0 ms', name: 'rankState' }],
          description:
            'Rank(strategy=[AppendFastStrategy], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=5])',
        },
        {
          id: 4,
          type: 'stream-exec-group-aggregate_1',
          state: [{ index: 0, ttl: '3660000 ms', name: 'groupAggregateState' }],
        },
        {
          id: 5,
          type: 'stream-exec-deduplicate_1',
          isRowtime: false,
          keepLastRow: true,
          state: [{ index: 0, ttl: '0 ms', name: 'deduplicateState' }],
        },
        {
          id: 6,
          type: 'stream-exec-deduplicate_1',
          isRowtime: true,
          keepLastRow: false,
          state: [{ index: 0, ttl: '0 ms', name: 'deduplicateState' }],
        },
        {
          id: 7,
          type: 'stream-exec-deduplicate_1',
          isRowtime: false,
          keepLastRow: false,
          state: [{ index: 0, ttl: '604800000 ms', name: 'deduplicateState' }],
        },
      ],
      edges: [{ source: 1, target: 2, shuffle: { type: 'FORWARD' }, shuffleMode: 'PIPELINED' }],
    };
    // Exactly this text: every key, value and order as Flink wrote it; only the ids and two TTLs new.
    expect(plan).toBe(JSON.stringify(expected, null, 2));
  });

  it('gives the same statement compiled twice the same plan, whatever ids Flink counted to', () => {
    const compiled = (first: number) =>
      JSON.stringify({
        nodes: [0, 1, 2].map((i) => ({ id: first + i, type: 'stream-exec-calc_1' })),
        edges: [
          { source: first, target: first + 1 },
          { source: first + 1, target: first + 2 },
        ],
      });
    const expected = {
      nodes: [1, 2, 3].map((id) => ({ id, type: 'stream-exec-calc_1' })),
      edges: [
        { source: 1, target: 2 },
        { source: 2, target: 3 },
      ],
    };
    expect(JSON.parse(withDedupeTtl(compiled(580), 1000).plan)).toEqual(expected);
    expect(withDedupeTtl(compiled(643), 1000).plan).toBe(withDedupeTtl(compiled(580), 1000).plan);
    expect(() =>
      withDedupeTtl('{"nodes":[{"id":5,"type":"x"}],"edges":[{"source":5,"target":6}]}', 1000),
    ).toThrow('an edge of the compiled plan names no node: 6');
  });

  it('leaves a plan without a dedupe as it was', () => {
    const noDedupe = `{"nodes":[{"id":1,"type":"stream-exec-rank_1","state":[{"index":0,"ttl":"0 ms","name":"rankState"}]}]}`;
    const { plan, nodes } = withDedupeTtl(noDedupe, 1000);
    expect(nodes).toEqual([]);
    expect(JSON.parse(plan)).toEqual(JSON.parse(noDedupe));
  });

  it('refuses a Deduplicate node without its state metadata, a bad TTL and a non-plan', () => {
    const bare =
      '{"nodes":[{"id":2,"type":"stream-exec-deduplicate_1","isRowtime":false,"keepLastRow":false}]}';
    expect(() => withDedupeTtl(bare, 1000)).toThrow(
      new FlinkError(
        'Deduplicate node 2 of the compiled plan has no single "deduplicateState"; cannot set its TTL',
      ),
    );
    expect(() => withDedupeTtl(PLAN, 0)).toThrow(/whole number of milliseconds ≥ 1, got 0/);
    expect(() => withDedupeTtl(PLAN, 1.5)).toThrow(/got 1.5/);
    expect(() => withDedupeTtl('{"edges":[]}', 1000)).toThrow(
      'the compiled plan has no "nodes" list',
    );
    expect(() => withDedupeTtl('not json', 1000)).toThrow(/^the compiled plan is not JSON: /);
  });
});
