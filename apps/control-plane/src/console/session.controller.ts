import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, MaxLength, Min, MinLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, InvalidField, NotAuthenticated } from '@fstore/rest-api';
import { UNKNOWN_ADDRESS } from '@fstore/auth';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal, Public } from '../auth/auth.decorators';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { Unavailable } from '../errors/domain-errors';
import { SessionDto } from '../responses.dto';
import { ConsoleSession, ConsoleSessions, sessionCookie } from './session';
import { SignInService } from './sign-in.service';
import { signInCredential } from './sign-in-rules';
import { CONSOLE_SESSIONS } from '../tokens';

/** Either an API key, or a serving user's e-mail and password (signInCredential says which). */
class SignInDto {
  @ApiPropertyOptional({
    description: 'a control-plane API key (fstore apikeys create); or give email and password',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  api_key?: string;

  @ApiPropertyOptional({
    example: 'ann@example.com',
    description: 'a serving user (fstore users add), with password; instead of api_key',
  })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ description: "the user's password (with email)" })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'a shorter session than FSTORE_CONSOLE_SESSION_TTL_SECONDS (never a longer one)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ttl_seconds?: number;
}

type ConsoleRequest = FastifyRequest & { consoleSession?: ConsoleSession };

const present = (principal: Principal, session: ConsoleSession): SessionDto => ({
  actor: principal.actor,
  role: principal.role,
  expires_at: session.expiresAt.toISOString(),
  csrf_token: session.csrfToken,
});

/**
 * The web console's sign-in: an API key, or a serving user's e-mail and password, sent once,
 * becomes an HttpOnly SameSite=Strict session cookie, so neither is kept where a page script
 * could read it.
 */
@ApiTags('console')
@ApiErrors(E.validation, E.unauthenticated, E.unavailable, E.unhandled)
@Controller('v1/session')
export class SessionController {
  constructor(
    @Inject(SignInService) private readonly signIns: SignInService,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(CONSOLE_SESSIONS) private readonly sessions: ConsoleSessions | undefined,
  ) {}

  /**
   * Signs in with an API key, or with a serving user's e-mail and password (the feature server's
   * login: 429 with Retry-After after too many failures; a `reader` is refused 403): sets the
   * session cookie and answers the CSRF token.
   */
  @Public()
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: SessionDto, description: 'signed in; Set-Cookie carries the session' })
  @ApiErrors(E.consoleRoleRefused, E.tooManyRequests)
  async signIn(
    @Body() body: SignInDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionDto> {
    if (!this.sessions) throw Unavailable('console sign-in', 'FSTORE_CONSOLE_SECRET is not set');
    const max = this.sessions.defaultTtlSeconds;
    if (body.ttl_seconds !== undefined && body.ttl_seconds > max) {
      throw InvalidField(
        ['body', 'ttl_seconds'],
        `at most ${max} (FSTORE_CONSOLE_SESSION_TTL_SECONDS)`,
      );
    }
    const given = signInCredential(body);
    const { principal, credential } = await this.signIns.check(
      given,
      request.ip || UNKNOWN_ADDRESS,
    );
    const ttl = body.ttl_seconds ?? max;
    const { token, session } = this.sessions.open(credential, principal.role, ttl);
    reply.header('set-cookie', sessionCookie(token, ttl, request.protocol === 'https'));
    await this.audit.record({
      actor: principal.actor,
      action: 'console.sign_in',
      target: 'console',
      outcome: 'succeeded',
      detail: { signed_in_with: given.kind, expires_at: session.expiresAt.toISOString() },
    });
    return present(principal, session);
  }

  /** The session of the cookie (the console asks it at start: who, which role, until when). */
  @Get()
  @ApiBearerAuth()
  @ApiOkResponse({ type: SessionDto })
  current(@CurrentPrincipal() principal: Principal, @Req() request: ConsoleRequest): SessionDto {
    const session = request.consoleSession;
    if (!session) throw NotAuthenticated('no console session (this route is for the cookie)');
    return present(principal, session);
  }

  /** Signs out: clears the cookie (answered to anyone, so an expired session can sign out too). */
  @Public()
  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'the cookie is cleared' })
  signOut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    reply.header('set-cookie', sessionCookie('', 0, request.protocol === 'https'));
  }
}
