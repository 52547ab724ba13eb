import type { components } from './generated/feature-server';
import { ApiError, ClientOptions, JsonApi } from './http';

type Schemas = components['schemas'];
export type EntityFeatures = Schemas['EntityFeaturesDto'];
export type FeatureValue = Schemas['FeatureValueDto'];
export type BatchResponse = Schemas['BatchResponseDto'];
export type TokenPair = Schemas['TokenPair'];
export type EntityName = Schemas['BatchBody']['entity'];

export interface FeatureServerOptions extends ClientOptions {
  /** An access token (from login); or call login() on the client. */
  accessToken?: string;
  refreshToken?: string;
}

/**
 * The feature server's API (docs/openapi/feature-server.json). Authenticates with an access
 * token; after login() it renews the token with the refresh token once when an answer is 401.
 */
export class FeatureServerClient {
  private readonly http: JsonApi;
  private accessToken?: string;
  private refreshToken?: string;

  constructor(options: FeatureServerOptions) {
    this.accessToken = options.accessToken;
    this.refreshToken = options.refreshToken;
    this.http = new JsonApi(options, () =>
      this.accessToken ? `Bearer ${this.accessToken}` : undefined,
    );
  }

  /** A client logged in as this user. */
  static async login(
    options: ClientOptions,
    email: string,
    password: string,
  ): Promise<FeatureServerClient> {
    const client = new FeatureServerClient(options);
    await client.login(email, password);
    return client;
  }

  /** Logs in (never retried but for a refused connection: a failed login counts). */
  async login(email: string, password: string): Promise<TokenPair> {
    const tokens = await this.http.request<TokenPair>('POST', '/api/auth/login', {
      body: { email, password },
    });
    this.accessToken = tokens.access_token;
    this.refreshToken = tokens.refresh_token;
    return tokens;
  }

  /** A new token pair from the refresh token (each refresh token works once). */
  async refresh(): Promise<TokenPair> {
    if (!this.refreshToken) throw new Error('no refresh token: log in first');
    const tokens = await this.http.request<TokenPair>('POST', '/api/auth/refresh', {
      body: { refresh_token: this.refreshToken },
    });
    this.accessToken = tokens.access_token;
    this.refreshToken = tokens.refresh_token;
    return tokens;
  }

  /** Ends the session: its access and refresh tokens stop working. */
  async logout(): Promise<void> {
    await this.http.request<void>('POST', '/api/auth/logout');
    this.accessToken = undefined;
    this.refreshToken = undefined;
  }

  /** Every feature (or those named) of one entity; 404 (ApiError 2000) when it has none. */
  getFeatures(entity: EntityName, id: string, names?: readonly string[]): Promise<EntityFeatures> {
    return this.authenticated(() =>
      this.http.request<EntityFeatures>(
        'GET',
        `/v1/features/${encodeURIComponent(entity)}/${encodeURIComponent(id)}`,
        { query: { names: names?.join(',') } },
      ),
    );
  }

  /** The features of many entities in one request (a read: safe to retry). */
  getOnlineFeatures(
    entity: EntityName,
    ids: string[],
    names?: readonly string[],
  ): Promise<BatchResponse> {
    return this.authenticated(() =>
      this.http.request<BatchResponse>('POST', '/v1/features/batch', {
        body: { entity, ids, ...(names ? { features: names } : {}) },
        idempotent: true,
      }),
    );
  }

  ready(): Promise<Schemas['ReadyDto']> {
    return this.http.request('GET', '/health/ready');
  }

  private async authenticated<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401 && this.refreshToken)) throw e;
      await this.refresh();
      return call();
    }
  }
}
