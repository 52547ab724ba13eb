import { fileProgressReporter, formatEta, ProgressBar } from './progress';

describe('ProgressBar', () => {
  let clock: number;
  let written: string[];
  const out = { write: (text: string) => written.push(text) };
  beforeEach(() => {
    clock = 1_000_000;
    written = [];
  });

  it('not on a terminal: a plain line every interval with rate and ETA, no control character', () => {
    const bar = new ProgressBar(1000, 'rows', out, false, 'generate', () => clock, 5000);
    bar.update(100); // at once: nothing yet
    clock += 5000;
    bar.update(250);
    clock += 1000;
    bar.update(300); // within the interval
    clock += 4000;
    bar.update(500);
    clock += 2000;
    bar.done(1000);
    expect(written).toEqual([
      '[fstore] generate: 250/1000 rows (25.0%), 50 rows/s, ETA 15s\n',
      '[fstore] generate: 500/1000 rows (50.0%), 50 rows/s, ETA 10s\n',
      '[fstore] generate: 1000/1000 rows (100.0%), 83 rows/s, ETA done\n',
    ]);
    // eslint-disable-next-line no-control-regex
    expect(written.join('').replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f]/);
  });

  it('on a terminal: one bar redrawn in place, ended by a newline', () => {
    const bar = new ProgressBar(1000, 'rows', out, true, 'generate', () => clock);
    clock += 1000;
    bar.update(500);
    bar.done(1000);
    expect(written).toEqual([
      `\r[${'#'.repeat(15)}${'.'.repeat(15)}] 500/1000 rows (50.0%), 500 rows/s, ETA 1s `,
      `\r[${'#'.repeat(30)}] 1000/1000 rows (100.0%), 1000 rows/s, ETA done `,
      '\n',
    ]);
  });

  it('formats an ETA in seconds, minutes or hours', () => {
    expect([formatEta(0), formatEta(44.6), formatEta(185), formatEta(3725)]).toEqual([
      '0s',
      '45s',
      '3m05s',
      '1h02m',
    ]);
  });
});

describe('fileProgressReporter (fstore produce)', () => {
  const at = (records: number, bytesDone: number) => ({
    file: '/data/events.csv',
    records,
    startedAt: 0,
    bytesDone,
    bytesStart: 1000,
    bytesTotal: 11_000_000,
  });

  it('not on a terminal: records/s and an ETA by the bytes left, every interval and at the end', () => {
    let clock = 0;
    const written: string[] = [];
    const r = fileProgressReporter({ write: (t: string) => written.push(t) }, false, () => clock);
    clock = 1000;
    r.update(at(10_000, 1_001_000)); // within the first interval
    clock = 5000;
    r.update(at(50_000, 5_001_000));
    clock = 10_000;
    r.update(at(110_000, 11_000_000)); // the end: always
    r.end();
    expect(written).toEqual([
      '[fstore] produce /data/events.csv: 50000 records, 45.5% of 11.0 MB, 10000 records/s, ETA 6s\n',
      '[fstore] produce /data/events.csv: 110000 records, 100.0% of 11.0 MB, 11000 records/s, ETA done\n',
    ]);
  });

  it('on a terminal: redrawn in place, and end() finishes the line', () => {
    let clock = 0;
    const written: string[] = [];
    const r = fileProgressReporter({ write: (t: string) => written.push(t) }, true, () => clock);
    clock = 2000;
    r.update(at(20_000, 2_001_000));
    r.end();
    r.end();
    expect(written).toEqual([
      '\r[fstore] produce /data/events.csv: 20000 records, 18.2% of 11.0 MB, 10000 records/s, ETA 9s ',
      '\n',
    ]);
  });
});
