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

/** Seconds as a person reads them: `850 ms`, `2.4 s`, `3 min 5 s`, `2 h 1 min`. */
export function seconds(value: number | null): string {
  if (value === null) return '—';
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 60) return `${value.toFixed(1)} s`;
  const s = Math.round(value);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
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
