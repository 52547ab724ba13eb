import { formatValue } from './values';

describe('formatValue', () => {
  it('renders money exactly with two decimals', () => {
    expect(formatValue('decimal', '12.5')).toBe('12.50');
    expect(formatValue('decimal', '1234567890123.10')).toBe('1234567890123.10');
    expect(formatValue('decimal', '7')).toBe('7.00');
    expect(formatValue('decimal', 0.1 + 0.2)).toBe('0.30');
    expect(() => formatValue('decimal', '1.234')).toThrow(/more than two decimals/);
  });

  it('renders ints and doubles as plain numbers', () => {
    expect(formatValue('int', 4)).toBe('4');
    expect(() => formatValue('int', 4.5)).toThrow(/not an integer/);
    expect(formatValue('double', 3.4)).toBe('3.4');
    expect(formatValue('double', 10 / 3)).toBe('3.3333333333333335');
    expect(() => formatValue('double', 'abc')).toThrow(/not a finite number/);
  });
});
