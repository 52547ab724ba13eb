import { errorText } from './kafka.repository';

describe('errorText', () => {
  it('names the innermost causes of a nested client error, once each', () => {
    const inner = (m: string) => new Error(m);
    const nested = Object.assign(new Error('Producing messages failed.'), {
      errors: [
        Object.assign(new Error('Cannot connect to any broker.'), {
          errors: [inner('Connection to 127.0.0.1:9092 failed.'), inner('Connection closed')],
        }),
        inner('Connection closed'),
      ],
    });
    expect(errorText(nested)).toBe(
      'Producing messages failed. (Connection to 127.0.0.1:9092 failed.; Connection closed)',
    );
  });

  it('is the message alone for a plain error or a value', () => {
    expect(errorText(new Error('timeout'))).toBe('timeout');
    expect(errorText('gone')).toBe('gone');
  });
});
