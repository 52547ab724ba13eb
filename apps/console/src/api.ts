import { ApiError, ControlPlaneClient, type Session } from '@fstore/client';

/**
 * The console's one client of the control plane: same origin, authenticated by the session
 * cookie (HttpOnly: this code never sees it); what is not a read carries the CSRF token, which
 * lives only in this module's memory.
 */
let csrfToken: string | undefined;
export const api = new ControlPlaneClient({ baseUrl: '', csrfToken: () => csrfToken, retries: 1 });

export function setSession(session: Session | undefined): void {
  csrfToken = session?.csrf_token;
}

let onExpired: () => void = () => undefined;
/** What the app does when the API says the session is gone (back to the sign-in page). */
export function whenSessionExpires(handler: () => void): void {
  onExpired = handler;
}

/** Calls the API; a 401 (expired or revoked session) ends the session in the page too. */
export async function call<T>(request: (client: ControlPlaneClient) => Promise<T>): Promise<T> {
  try {
    return await request(api);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) onExpired();
    throw e;
  }
}

/** A failure as a person reads it: the API's message (it names the field), or the transport's. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    const detail = e.errorDetail?.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; ');
    return detail ? `${e.errorMessage} (${detail})` : e.errorMessage;
  }
  return e instanceof Error ? e.message : String(e);
}

export type Role = Session['role'];
/** Operators and admins run jobs; viewers only look. */
export const canOperate = (role: Role): boolean => role === 'operator' || role === 'admin';
