import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { TokenClaims } from '@fstore/auth';
import { ApiErrors } from '@fstore/rest-api';
import { SERVING_ERRORS as E } from '../errors/api-errors';
import { Principal, Public } from './auth.decorators';
import { AuthService } from './auth.service';
import { LoginBody, RefreshBody, TokenPair } from './login.dto';

@ApiTags('auth')
@ApiErrors(E.validation, E.unauthenticated, E.storeUnavailable, E.unhandled)
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** 429 with Retry-After after too many failures for the account or the client address. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenPair })
  @ApiErrors(E.tooManyRequests)
  login(@Body() body: LoginBody, @Req() request: FastifyRequest): Promise<TokenPair> {
    return this.auth.login(body.email, body.password, request.ip);
  }

  /** Each refresh token works once; the answer carries the next one. */
  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenPair })
  refresh(@Body() body: RefreshBody): Promise<TokenPair> {
    return this.auth.refresh(body.refresh_token);
  }

  /** Ends the session of the Bearer access token: its access and refresh tokens stop working. */
  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse()
  logout(@Principal() principal: TokenClaims): Promise<void> {
    return this.auth.logout(principal);
  }
}
