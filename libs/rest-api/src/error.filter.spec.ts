import {
  ForbiddenException,
  HttpException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
} from '@nestjs/common';
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

describe('ErrorFilter: the HTTP layer’s refusals, each with its registry code', () => {
  beforeAll(() => Logger.overrideLogger(false));
  const answer = (e: unknown) => {
    const { reply, sent } = fakeReply();
    new ErrorFilter().send(reply, e);
    return { status: sent.status, body: sent.body as Record<string, unknown> };
  };

  it('an unknown route is 404 with 1004 (1404 is a missing resource)', () => {
    expect(answer(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      body: { error_code: 1004, error_message: 'No such route', error_detail: null },
    });
  });

  it('keeps the status of 401, 403 and 415, with their codes', () => {
    expect(answer(new UnauthorizedException('no token'))).toMatchObject({
      status: 401,
      body: { error_code: 1200, error_message: 'Not authenticated: no token' },
    });
    expect(answer(new ForbiddenException('Forbidden resource'))).toMatchObject({
      status: 403,
      body: { error_code: 1201, error_message: 'Permission denied: Forbidden resource' },
    });
    const media = new HttpException('Unsupported Media Type: text/plain', 415);
    expect(answer(media)).toMatchObject({
      status: 415,
      body: { error_code: 1415, error_message: 'Unsupported Media Type: text/plain' },
    });
  });

  it('another 4xx is 400 with 1001; a 5xx is an unhandled fault', () => {
    expect(answer(new HttpException('Method Not Allowed', 405))).toMatchObject({
      status: 400,
      body: { error_code: 1001, error_message: 'Request refused: Method Not Allowed' },
    });
    expect(answer(new HttpException('Bad Gateway', 502))).toMatchObject({
      status: 500,
      body: { error_code: 1999, error_message: 'Unhandled error' },
    });
  });

  it('a 500 carries a fresh correlation id; no other answer has one', () => {
    const first = answer(new Error('a bug'));
    const second = answer(new Error('a bug'));
    expect(first.body.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.body.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.body.correlation_id).not.toBe(second.body.correlation_id);
    expect(answer(new NotFoundException()).body).not.toHaveProperty('correlation_id');
  });
});
