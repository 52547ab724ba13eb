/**
 * Whether a login session is still active, as PostgreSQL said at most `ttlMs` ago. Every
 * authenticated request asks, and the hot read path must not wait on the database: a fresh
 * answer is returned synchronously (`cached`), and a stale one is looked up once however many
 * requests ask for it at the same time (`check`). So a logout or a removed user takes effect on
 * every server within `ttlMs`. An ended session stays ended, so that answer is kept longer.
 */
export class SessionCheck {
  private readonly known = new Map<string, { active: boolean; until: number }>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly lookup: (sid: string) => Promise<boolean>,
    private readonly ttlMs: number,
    private readonly maxEntries = 100000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The fresh answer, or undefined when it must be looked up. */
  cached(sid: string): boolean | undefined {
    const entry = this.known.get(sid);
    return entry && entry.until > this.now() ? entry.active : undefined;
  }

  async check(sid: string): Promise<boolean> {
    const fresh = this.cached(sid);
    if (fresh !== undefined) return fresh;
    let pending = this.inFlight.get(sid);
    if (!pending) {
      pending = this.lookup(sid).then(
        (active) => {
          this.remember(sid, active);
          return active;
        },
        (e: unknown) => {
          this.inFlight.delete(sid);
          // PostgreSQL not answering must not stop every feature read: a session known active
          // stays so (re-checked after another ttl); one never seen fails with the error.
          if (this.known.get(sid)?.active) {
            this.remember(sid, true);
            return true;
          }
          throw e;
        },
      );
      this.inFlight.set(sid, pending);
    }
    return pending;
  }

  /** What this server itself just did (a login started it, a logout ended it). */
  remember(sid: string, active: boolean): void {
    this.inFlight.delete(sid);
    if (this.known.size >= this.maxEntries) this.known.clear();
    // An ended session never comes back: keep that answer for a while longer.
    this.known.set(sid, { active, until: this.now() + (active ? this.ttlMs : 60 * this.ttlMs) });
  }
}
