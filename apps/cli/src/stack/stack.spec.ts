import { selectComponents } from './stack';

const names = (...args: Parameters<typeof selectComponents>) =>
  selectComponents(...args).map((c) => c.name);

describe('selectComponents', () => {
  it('brings up what a component depends on, in start order', () => {
    expect(names(['flink'])).toEqual(['kafka', 'flink']);
    expect(names(['streaming'])).toEqual(['kafka', 'flink']);
    expect(names([])).toEqual([
      'monitoring',
      'postgres',
      'redis',
      'kafka',
      'flink',
      'writer',
      'serving',
      'spark',
      'livy',
      'control-plane',
      'airflow',
    ]);
    expect(names(['batch'])).toEqual(['postgres', 'spark', 'livy', 'airflow']);
    expect(names(['livy'])).toEqual(['postgres', 'spark', 'livy']);
  });

  it('stops only what was named, never the services it depends on', () => {
    expect(names(['flink'], false)).toEqual(['flink']);
    expect(names(['core'], false)).toEqual(['postgres', 'redis', 'kafka']);
  });

  it('rejects an unknown name, listing the known ones', () => {
    expect(() => selectComponents(['flnk'])).toThrow(/unknown component "flnk" \(known: .*flink/);
  });
});
