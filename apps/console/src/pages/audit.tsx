import { useState } from 'preact/hooks';
import { when } from '../format';
import { useApi } from '../hooks';
import { Problem, Scroll } from './parts';

/** Every admin action, newest first; filtered by actor and target (exact, as the API does). */
export function AuditPage() {
  const [filter, setFilter] = useState({ actor: '', target: '', limit: 100 });
  const entries = useApi(
    (c) =>
      c.audit({
        actor: filter.actor || undefined,
        target: filter.target || undefined,
        limit: filter.limit,
      }),
    [filter.actor, filter.target, filter.limit],
  );
  const apply = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const value = (name: string) =>
      (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    setFilter({
      actor: value('actor'),
      target: value('target'),
      limit: Number(value('limit')) || 100,
    });
  };
  return (
    <>
      <h1>Audit log</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter the audit log">
        <label>
          Actor
          <input name="actor" placeholder="key:ci" defaultValue={filter.actor} />
        </label>
        <label>
          Target
          <input name="target" placeholder="deployment:…" defaultValue={filter.target} />
        </label>
        <label>
          Entries
          <input
            name="limit"
            type="number"
            min={1}
            max={1000}
            defaultValue={String(filter.limit)}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Problem error={entries.error} />
      <Scroll label="Audit entries">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {(entries.data ?? []).map((e) => (
              <tr key={e.id}>
                <td>{when(e.at)}</td>
                <td>{e.actor}</td>
                <th scope="row">{e.action}</th>
                <td>
                  <code>{e.target}</code>
                </td>
                <td>{e.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </>
  );
}
