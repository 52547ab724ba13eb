import { REGISTRY } from '@fstore/contracts';
import { compileDrift } from './compile-drift';

describe('generated Flink SQL', () => {
  it('flink-sql/ holds exactly what the compiler produces from features/', () => {
    // On failure: run `npx fstore features compile` and commit the result.
    expect(compileDrift(REGISTRY)).toEqual([]);
  });
});
