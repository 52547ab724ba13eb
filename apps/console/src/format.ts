import type { Feature } from '@fstore/client';

export const when = (iso: string | null | undefined): string =>
  iso
    ? new Date(iso)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '—';

export function duration(from: string | null, to: string | null): string {
  if (!from) return '—';
  const ms = (to ? new Date(to).getTime() : Date.now()) - new Date(from).getTime();
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** How a feature's producing job is doing, in a word or two. */
export function producerState(f: Feature): string {
  const p = f.producer;
  if (!p) return 'no live job';
  if ('deployment_id' in p) {
    return p.drift ? `${p.observed_state} (drift)` : p.observed_state;
  }
  return p.last_successful_run_at
    ? `last run ${when(p.last_successful_run_at)}`
    : 'no successful run';
}
