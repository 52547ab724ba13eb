import type { Feature, FeatureDetail } from '@fstore/client';
import { useMemo, useState } from 'preact/hooks';
import { call, describeError } from '../api';
import { producerState, when } from '../format';
import { useApi } from '../hooks';
import { FeatureFreshness } from './feature-freshness';
import { FeatureVersions } from './feature-versions';
import { Problem, Scroll } from './parts';

const unique = (values: string[]) => [...new Set(values)].sort();
const aggregationText = (f: Feature) =>
  f.aggregation ? (f.window ? `${f.aggregation} over ${f.window}` : f.aggregation) : '—';

/** Every feature, searchable by name/description and filtered by entity and engine. */
export function FeaturesPage() {
  const features = useApi((c) => c.listFeatures(), []);
  const [text, setText] = useState('');
  const [entity, setEntity] = useState('');
  const [engine, setEngine] = useState('');
  const [tag, setTag] = useState('');
  const all = features.data ?? [];
  const shown = useMemo(
    () =>
      all.filter(
        (f) =>
          (!entity || f.entity === entity) &&
          (!engine || f.engine === engine) &&
          (!tag || f.tags.includes(tag)) &&
          (!text ||
            `${f.name} ${f.description} ${f.owner ?? ''} ${f.tags.join(' ')} ${f.jobs.join(' ')}`
              .toLowerCase()
              .includes(text.toLowerCase())),
      ),
    [all, text, entity, engine, tag],
  );
  return (
    <>
      <h1>Features</h1>
      <form
        class="filters"
        role="search"
        aria-label="Filter features"
        onSubmit={(e) => e.preventDefault()}
      >
        <label>
          Search
          <input
            type="search"
            name="q"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </label>
        <label>
          Entity
          <select name="entity" value={entity} onChange={(e) => setEntity(e.currentTarget.value)}>
            <option value="">all</option>
            {unique(all.map((f) => f.entity)).map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          Engine
          <select name="engine" value={engine} onChange={(e) => setEngine(e.currentTarget.value)}>
            <option value="">all</option>
            <option>stream</option>
            <option>batch</option>
          </select>
        </label>
        <label>
          Tag
          <select name="tag" value={tag} onChange={(e) => setTag(e.currentTarget.value)}>
            <option value="">all</option>
            {unique(all.flatMap((f) => f.tags)).map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
      </form>
      <Problem error={features.error} />
      <p role="status" class="count">
        {features.loading && !features.data
          ? 'Loading…'
          : `${shown.length} of ${all.length} features`}
      </p>
      <Scroll label="Features">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Entity</th>
              <th scope="col">Aggregation</th>
              <th scope="col">Engine</th>
              <th scope="col">Type</th>
              <th scope="col">Owner / tags</th>
              <th scope="col">Job</th>
              <th scope="col">State</th>
              <th scope="col">Version</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((f) => (
              <tr key={f.name} data-feature={f.name}>
                <th scope="row">
                  <a href={`#/features/${encodeURIComponent(f.name)}`}>{f.name}</a>
                </th>
                <td>{f.entity}</td>
                <td>{aggregationText(f)}</td>
                <td>{f.engine}</td>
                <td>{f.type}</td>
                <td>
                  {f.owner ?? '—'}
                  {f.tags.length ? ` · ${f.tags.join(', ')}` : ''}
                </td>
                <td>{f.jobs.join(', ') || '—'}</td>
                <td>{producerState(f)}</td>
                <td>{f.registry_version ?? '—'}</td>
                <td>{f.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </>
  );
}

/** One feature, and the stored value of one entity (GET /v1/features/{name}?entity_id=). */
export function FeatureDetailPage({ name }: { name: string }) {
  const feature = useApi((c) => c.getFeature(name), [name]);
  const [lookup, setLookup] = useState<FeatureDetail>();
  const [lookupError, setLookupError] = useState<string>();
  const f = feature.data;

  const find = async (event: Event) => {
    event.preventDefault();
    const id = (
      (event.currentTarget as HTMLFormElement).elements.namedItem('entity_id') as HTMLInputElement
    ).value.trim();
    setLookupError(undefined);
    setLookup(undefined);
    try {
      setLookup(await call((c) => c.getFeature(name, id)));
    } catch (e) {
      setLookupError(describeError(e));
    }
  };

  return (
    <>
      <p>
        <a href="#/features">← All features</a>
      </p>
      <h1>{name}</h1>
      <Problem error={feature.error} />
      {f && <FeatureFacts feature={f} />}
      <FeatureFreshness name={name} engine={f?.engine} />
      <FeatureVersions name={name} />
      <h2>Current value of one entity</h2>
      <form class="lookup" onSubmit={find}>
        <label for="entity_id">{f ? `${f.entity} id` : 'Entity id'}</label>
        <input id="entity_id" name="entity_id" required maxLength={200} />
        <button type="submit">Look up</button>
      </form>
      <Problem error={lookupError} />
      {lookup && (
        <dl class="facts" data-testid="lookup">
          <dt>Entity</dt>
          <dd>{lookup.entity_id}</dd>
          <dt>Value</dt>
          <dd data-testid="value">
            {lookup.value === null || lookup.value === undefined
              ? 'no value stored'
              : String(lookup.value)}
          </dd>
          <dt>Event time</dt>
          <dd data-testid="event-time">{lookup.event_time ?? '—'}</dd>
          <dt>Redis key</dt>
          <dd>
            <code>{lookup.key}</code>
          </dd>
        </dl>
      )}
    </>
  );
}

function FeatureFacts({ feature: f }: { feature: Feature }) {
  const p = f.producer;
  return (
    <dl class="facts">
      <dt>Description</dt>
      <dd>{f.description || '—'}</dd>
      <dt>Entity</dt>
      <dd>{f.entity}</dd>
      <dt>Aggregation</dt>
      <dd>{aggregationText(f)}</dd>
      <dt>Engine</dt>
      <dd>{f.engine}</dd>
      <dt>Owner</dt>
      <dd>{f.owner ?? '—'}</dd>
      <dt>Tags</dt>
      <dd>{f.tags.join(', ') || '—'}</dd>
      <dt>Type</dt>
      <dd>{f.type}</dd>
      <dt>Key</dt>
      <dd>
        <code>{f.key_template}</code>
      </dd>
      <dt>Defined in</dt>
      <dd>
        <code>{f.produced_by}</code>
      </dd>
      <dt>Jobs</dt>
      <dd>
        {f.jobs.length
          ? f.jobs.map((j) => (
              <a key={j} href="#/jobs">
                {j}{' '}
              </a>
            ))
          : '—'}
      </dd>
      <dt>State</dt>
      <dd>{producerState(f)}</dd>
      {p && 'deployment_id' in p && (
        <>
          <dt>Deployment</dt>
          <dd>
            <code>{p.deployment_id}</code> (version {p.version}, desired {p.desired_state}, observed{' '}
            {when(p.observed_at)})
          </dd>
        </>
      )}
      <dt>Registry version</dt>
      <dd>
        {f.registry_version ?? 'never applied'}
        {f.applied_by ? ` by ${f.applied_by} at ${when(f.applied_at)}` : ''}
      </dd>
    </dl>
  );
}
