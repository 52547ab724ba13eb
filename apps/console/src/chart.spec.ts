import { chartGeometry } from './chart';

describe('chartGeometry', () => {
  it('places time left to right and values bottom to top, 0 included', () => {
    const g = chartGeometry(
      [
        {
          points: [
            [100, 2],
            [110, 4],
            [120, null],
            [130, 1],
          ],
        },
        { points: [[130, 0]] },
      ],
      300,
      100,
    );
    expect(g).toEqual({
      lines: ['0,50 100,0 300,75', '300,100'],
      min: 0,
      max: 4,
      start: 100,
      end: 130,
    });
  });

  it('negative values lower the bottom; a single instant sits in the middle', () => {
    expect(chartGeometry([{ points: [[5, -2]] }], 200, 100)).toEqual({
      lines: ['100,100'],
      min: -2,
      max: 0,
      start: 5,
      end: 5,
    });
  });

  it('nothing to draw without a point', () => {
    expect(chartGeometry([], 10, 10)).toBeUndefined();
    expect(chartGeometry([{ points: [] }], 10, 10)).toBeUndefined();
  });
});
