import { Inject, Injectable } from '@nestjs/common';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { roleAllows, SessionCheck, TokenClaims, TokenSigner } from '@fstore/auth';
import { requestSpan } from '@fstore/observability';
import { ErrorFilter } from '@fstore/rest-api';
import { authenticate, DEFAULT_ROLES, SessionEnded } from '../auth/auth.guard';
import { EntityParams, FeatureNamesQuery } from './features.dto';
import { FeaturesService } from './features.service';

/** FeaturesController.entity's route, as Fastify names it. */
const ENTITY_ROUTE = '/v1/features/:entity/:id';

/**
 * The single-entity read is the server's hot route, and Nest's per-request machinery around it
 * (execution context, guard and pipe consumers, response controller) was about a third of its
 * CPU (~15 of ~50 µs a request, measured against a plain Fastify route). This lane answers the
 * common request, a token whose role may read and input the DTOs' fast path accepts, from a
 * Fastify hook built of the same parts: the guard's authenticate, session check and default
 * role, the DTOs' accept, FeaturesService and the ErrorFilter. Any other request goes on to the Nest route,
 * which answers it exactly as before (its 400 and 401 bodies are class-validator's and the
 * guard's own).
 */
@Injectable()
export class EntityReadLane {
  constructor(
    private readonly features: FeaturesService,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(ErrorFilter) private readonly errors: ErrorFilter,
    @Inject(SessionCheck) private readonly sessions: SessionCheck,
  ) {}

  attach(fastify: FastifyInstance): void {
    fastify.addHook('preHandler', (request, reply, done) => {
      if (request.routeOptions.url !== ENTITY_ROUTE || !this.serve(request, reply)) done();
      // Served: the answer is on its way, and the route handler must not run (Fastify's rule
      // for a callback hook that replies is not to call done).
    });
  }

  /** Starts the answer and returns true, or false when the request is not the lane's. */
  private serve(request: FastifyRequest, reply: FastifyReply): boolean {
    if (request.method !== 'GET') return false;
    const claims = this.reader(request.headers.authorization);
    if (!claims) return false;
    const params = EntityParams.accept(request.params);
    const query = params && FeatureNamesQuery.accept(request.query);
    if (!params || !query) return false;
    // A session known to have ended goes to the Nest route, whose guard answers 401.
    const active = this.sessions.cached(claims.sid);
    if (active === false) return false;
    const answer = () =>
      this.features.entity(params.entity, params.id, query.names, requestSpan(request)).then(
        (found) => void reply.send(found),
        (e: unknown) => this.errors.send(reply, e),
      );
    if (active) {
      void answer();
    } else {
      // Not looked at for a while (FSTORE_AUTH_REVOCATION_CHECK_SECONDS): ask PostgreSQL once.
      this.sessions.check(claims.sid).then(
        (live) => (live ? answer() : this.errors.send(reply, SessionEnded())),
        (e: unknown) => this.errors.send(reply, e),
      );
    }
    return true;
  }

  /** The claims of a token whose role may read, else undefined. */
  private reader(header: string | undefined): TokenClaims | undefined {
    try {
      const claims = authenticate(this.signer, header);
      return roleAllows(claims.role, DEFAULT_ROLES) ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}
