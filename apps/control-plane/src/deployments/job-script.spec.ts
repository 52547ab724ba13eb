import { readFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { splitStatements } from '@fstore/flink';
import { pipelineName, withoutPipelineName } from './job-script';

describe('withoutPipelineName', () => {
  it("drops the script's own pipeline.name and keeps every other statement", () => {
    const script =
      "-- a job\nSET 'pipeline.name' = 'mine';\n" +
      readFileSync(join(PROJECT_ROOT, 'flink-sql/avg_review.sql'), 'utf8');
    const before = splitStatements(script);
    const after = splitStatements(withoutPipelineName(script));
    expect(before.some((s) => s.sql.includes("'pipeline.name'"))).toBe(true);
    expect(after.some((s) => s.sql.includes("'pipeline.name'"))).toBe(false);
    expect(after.map((s) => s.kind)).toEqual(
      before.filter((s) => !s.sql.includes("'pipeline.name'")).map((s) => s.kind),
    );
    expect(after.at(-1)!.kind).toBe('insert');
  });

  it('leaves a literal that mentions pipeline.name alone', () => {
    const script = "SET 'table.x' = 'pipeline.name';\nINSERT INTO t SELECT 1;";
    expect(splitStatements(withoutPipelineName(script))).toHaveLength(2);
  });

  it('names a job after its operation', () => {
    expect(pipelineName('lpa', 'op-1')).toBe('fstore/lpa/op-1');
  });
});
