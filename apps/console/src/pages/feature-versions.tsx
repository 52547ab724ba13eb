import { ApiError, type FeatureVersion } from '@fstore/client';
import { useState } from 'preact/hooks';
import { diffSign, jsonLines, lineDiff } from '../diff';
import { when } from '../format';
import { useApi } from '../hooks';
import { Problem, Scroll } from './parts';

/**
 * The versions `fstore apply` recorded of one feature (GET /v1/features/{name}/versions): who
 * applied each and when, and the selected version's definition against the one before it.
 */
export function FeatureVersions({ name }: { name: string }) {
  const versions = useApi(
    (c) =>
      c.featureVersions(name).catch((e: unknown) => {
        // No version yet is an answer, not a failure: the feature was never applied.
        if (e instanceof ApiError && e.status === 404) return [];
        throw e;
      }),
    [name],
  );
  const [chosen, setChosen] = useState<number>();
  const all = versions.data ?? [];
  const selected = all.find((v) => v.version === chosen) ?? all[0];

  return (
    <section aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      <Problem error={versions.error} />
      {versions.loading && !versions.data && <p class="count">Loading…</p>}
      {versions.data && all.length === 0 && (
        <p class="count" data-testid="no-versions">
          Never applied with <code>fstore apply</code>: no versions recorded.
        </p>
      )}
      {all.length > 0 && (
        <Scroll label="Version list">
          <table data-testid="versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Applied by</th>
                <th scope="col">Applied at</th>
                <th scope="col">Change</th>
                <th scope="col">Diff</th>
              </tr>
            </thead>
            <tbody>
              {all.map((v, i) => (
                <tr key={v.version} data-version={v.version}>
                  <th scope="row">{v.version}</th>
                  <td>{v.applied_by}</td>
                  <td>{when(v.applied_at)}</td>
                  <td>{v.removed ? 'removed' : i === all.length - 1 ? 'added' : 'changed'}</td>
                  <td>
                    <button
                      type="button"
                      aria-pressed={v.version === selected?.version}
                      aria-controls="version-diff"
                      onClick={() => setChosen(v.version)}
                    >
                      Diff<span class="sr-only"> of version {v.version}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {selected && (
        <VersionDiff
          version={selected}
          previous={all[all.findIndex((v) => v.version === selected.version) + 1]}
        />
      )}
    </section>
  );
}

const count = (lines: number) => `${lines} ${lines === 1 ? 'line' : 'lines'}`;

function VersionDiff({
  version,
  previous,
}: {
  version: FeatureVersion;
  previous: FeatureVersion | undefined;
}) {
  const lines = lineDiff(
    previous ? jsonLines(previous.definition) : [],
    jsonLines(version.definition),
  );
  const added = lines.filter((l) => l.kind === 'added').length;
  const removed = lines.filter((l) => l.kind === 'removed').length;
  return (
    <div id="version-diff">
      <h3 id="diff-heading">
        {previous
          ? `Version ${version.version} against version ${previous.version}`
          : `Version ${version.version} (the first)`}
      </h3>
      <p class="count" data-testid="diff-summary">
        {`${count(added)} added (+), ${count(removed)} removed (-)`}
        {version.removed ? '; this version removed the feature' : ''}
      </p>
      <div class="diff-box" role="region" aria-labelledby="diff-heading" tabIndex={0}>
        <pre class="diff" data-testid="diff">
          {lines.map((l, i) => {
            // One block per line (so no newline in the text): its sign, then the JSON line.
            const text = `${diffSign(l.kind)} ${l.text}`;
            return l.kind === 'added' ? (
              <ins key={i}>{text}</ins>
            ) : l.kind === 'removed' ? (
              <del key={i}>{text}</del>
            ) : (
              <span key={i}>{text}</span>
            );
          })}
        </pre>
      </div>
    </div>
  );
}
