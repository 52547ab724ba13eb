import { PayloadTooLargeException } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { ErrorFilter } from './error.filter';
import { TooManyRequests } from './errors';

function fakeReply() {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const reply = {
    header: (name: string, value: string) => ((sent.headers[name] = value), reply),
    status: (code: number) => ((sent.status = code), reply),
    send: (body: unknown) => ((sent.body = body), reply),
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

describe('ErrorFilter', () => {
  it('answers 429 with the standard body and a whole-second Retry-After', () => {
    const { reply, sent } = fakeReply();
    new ErrorFilter().send(reply, TooManyRequests('Too many failed logins; retry in 3 s', 2.2));
    expect(sent).toEqual({
      status: 429,
      headers: { 'retry-after': '3' },
      body: {
        error_code: 1429,
        error_message: 'Too many failed logins; retry in 3 s',
        error_detail: null,
      },
    });
  });

  it('names the body in a 413', () => {
    const { reply, sent } = fakeReply();
    new ErrorFilter().send(reply, new PayloadTooLargeException('Request body is too large'));
    expect(sent.status).toBe(413);
    expect(sent.body).toEqual({
      error_code: 1002,
      error_message: 'Request body too large',
      error_detail: [
        { loc: ['body'], msg: 'Request body is too large', type: 'value_error.too_large' },
      ],
    });
  });
});
