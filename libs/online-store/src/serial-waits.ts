/**
 * At most one WAIT at a time on each master's connection. WAIT blocks the connection it is sent
 * on: the writes other callers send behind it (the feature writer applies several partitions at
 * once, all on the node's one connection) run only when it ends. With one WAIT in flight, a write
 * waits at most one WAIT timeout; with several queued, the waits would add up past the command
 * deadline. A caller whose writes are done joins the next WAIT, sent when the one in flight ends
 * (which may have been sent before its writes, and so would not count them): one WAIT answers
 * every caller that joined it.
 */
export class SerialWaits {
  private readonly inFlight = new Map<
    string,
    { current: Promise<number>; next?: Promise<number> }
  >();

  /** `send(key)` sends one WAIT on the connection `key` names and answers its reply. */
  constructor(private readonly send: (key: string) => Promise<number>) {}

  /** The reply of a WAIT sent on `key` after this call (shared with the other callers of it). */
  wait(key: string): Promise<number> {
    const state = this.inFlight.get(key);
    if (!state) return this.start(key);
    const settled = () => undefined;
    state.next ??= state.current.then(settled, settled).then(() => this.start(key));
    return state.next;
  }

  private start(key: string): Promise<number> {
    const state: { current: Promise<number>; next?: Promise<number> } = {
      current: this.send(key),
    };
    this.inFlight.set(key, state);
    const done = () => {
      // A caller that joined meanwhile starts the next one; otherwise the connection is free.
      if (this.inFlight.get(key) === state && !state.next) this.inFlight.delete(key);
    };
    state.current.then(done, done);
    return state.current;
  }
}
