'use client';
/**
 * One artifact on a page: its state (missing, queued, running with progress,
 * failed with the reason, completed) and, once completed, its pictures laid
 * out per kind, with PNG and JSON exports.
 */
import type { ReactNode } from 'react';
import { ARTIFACT_LABELS, type ArtifactRow } from '@/lib/server/shared/analysis-types';
import type { ArtifactJson } from '@/lib/server/shared/payloads';
import { MeanHistogram, TraceChart } from './charts';
import { formatValue, Legend, Picture } from './Picture';

const ROLE_NAMES = { input: 'input', map: 'activation map', gradcam: 'Grad-CAM', cam: 'CAM', actmax: 'activation maximisation' } as const;

export function ArtifactStatus({ artifact, canRequest, busy, onRequest, what }: { artifact: ArtifactJson; canRequest: boolean; busy: boolean; onRequest: () => void; what: string }) {
  switch (artifact.status) {
    case 'completed':
      return null;
    case 'missing':
      return canRequest ? (
        <p className="ch-state muted">
          {busy ? 'Requesting…' : 'Not computed yet.'}{' '}
          {!busy ? (
            <button type="button" className="secondary" onClick={onRequest}>
              Compute {what}
            </button>
          ) : null}
        </p>
      ) : (
        <p className="ch-state muted" data-testid="viewer-note">
          Not computed yet. Viewers can see these pictures once a member of the lab has requested them.
        </p>
      );
    case 'queued':
      return (
        <div className="ch-state" role="status">
          <span className="muted">Waiting for a worker…</span>
          <progress aria-label={`${what}: waiting`} />
        </div>
      );
    case 'running':
      return (
        <div className="ch-state" role="status">
          <span className="muted">Computing… {Math.round(artifact.progress * 100)}%</span>
          <progress value={artifact.progress} max={1} aria-label={`${what}: progress`} />
        </div>
      );
    case 'failed':
      return (
        <div className="alert error ch-state" role="alert">
          <strong>Failed:</strong> {artifact.error ?? 'unknown error'}
          {artifact.attempts > 1 ? ` (after ${artifact.attempts} attempts)` : ''}
          {canRequest ? (
            <>
              {' '}
              <button type="button" className="secondary" onClick={onRequest} disabled={busy}>
                Retry
              </button>
            </>
          ) : null}
        </div>
      );
  }
}

function Stats({ stats }: { stats: ArtifactRow['stats'] }) {
  const names: Record<string, string> = { mean: 'mean', max: 'max', min: 'min', score: 'class score', classIndex: 'class', startActivation: 'start', finalActivation: 'final', place: 'place' };
  return (
    <dl className="ch-stats small">
      {Object.entries(stats).map(([k, v]) => (
        <div key={k}>
          <dt>{names[k] ?? k}</dt>
          <dd className="mono">{k === 'classIndex' || k === 'place' ? v : formatValue(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** How many rows show each class, most first ("3 ×5, 8 ×2, 5 ×2"). */
function classTally(rows: ArtifactRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) if (r.sample?.label !== undefined) counts.set(r.sample.label, (counts.get(r.sample.label) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], undefined, { numeric: true })).map(([label, c]) => `class ${label} ×${c}`).join(', ');
}

/** The pictures of a completed channel artifact (maps, gradcam, actmax, top). */
export function ArtifactBody({ artifact, channel }: { artifact: ArtifactJson; channel: number }) {
  const v = artifact.values;
  if (!v) return null;
  const pictureOf = (row: ArtifactRow, i: number, size: 's' | 'm' = 'm'): ReactNode => {
    const p = row.pictures[i];
    const subject = p.role === 'map' ? `channel ${channel}` : p.role === 'gradcam' || p.role === 'cam' ? `layer ${v.layer}` : '';
    const alt = `${ROLE_NAMES[p.role]}${subject ? ` of ${subject}` : ''}${row.sample ? ` on ${row.sample.id}` : ''}`;
    return <Picture key={p.file} src={artifact.files[p.file]} picture={p} alt={alt} caption={ROLE_NAMES[p.role]} mapSize={v.mapSize} size={size} />;
  };
  const limit = typeof v.details.limit === 'number' ? v.details.limit : null;
  const allClasses = Array.isArray(v.details.allClasses) ? (v.details.allClasses as string[]) : null;
  return (
    <>
      {v.notes.map((n) => (
        <p key={n} className="small muted ch-note">
          {n}
        </p>
      ))}
      {(artifact.kind === 'maps' || artifact.kind === 'top') && limit !== null ? (
        <Legend map="diverging" lo={-limit} hi={limit} label="Activation (before the activation function), one scale for all maps:" />
      ) : null}
      {artifact.kind === 'gradcam' ? <Legend map="heat" lo={0} hi={1} label={`Heat for output ${String(v.details.classIndex)}, over the input:`} /> : null}

      {artifact.kind === 'maps' || artifact.kind === 'gradcam' ? (
        <div className="ch-rows">
          {v.rows.map((row) => (
            <div key={row.title} className="ch-row">
              <p className="ch-row-title small mono">{row.title}</p>
              <div className="ch-row-pics">{row.pictures.map((_, i) => pictureOf(row, i))}</div>
              <Stats stats={row.stats} />
            </div>
          ))}
        </div>
      ) : null}

      {artifact.kind === 'top' ? (
        <>
          <ol className="ch-top">
            {v.rows.map((row) => (
              <li key={row.title} className="ch-card">
                <p className="ch-row-title small mono">{row.title}</p>
                <div className="ch-row-pics">{row.pictures.map((_, i) => pictureOf(row, i, 's'))}</div>
                <Stats stats={{ mean: row.stats.mean, max: row.stats.max }} />
              </li>
            ))}
          </ol>
          {allClasses ? (
            <p className="small ch-top-classes" data-testid="top-classes">
              Classes among these images: {classTally(v.rows)} (of {allClasses.length} in the dataset)
            </p>
          ) : null}
          {v.details.histogram ? (
            <MeanHistogram
              {...(v.details.histogram as { edges: number[]; counts: number[] })}
              cut={Math.min(...v.rows.map((r) => r.stats.mean ?? Infinity))}
              classes={allClasses?.length}
            />
          ) : null}
        </>
      ) : null}

      {artifact.kind === 'actmax' ? (
        <div className="ch-actmax">
          {pictureOf(v.rows[0], 0)}
          <div>
            <Stats stats={v.rows[0].stats} />
            <p className="small muted">
              Gradient ascent on the channel&apos;s mean activation from a gray image ({String(v.details.steps)} steps, seed {String(v.details.seed)}), with L2 decay, blur
              and jitter. A channel that is nearly linear in its input (early layers) drives the image to a flat extreme.
            </p>
            {Array.isArray(v.details.trace) ? <TraceChart trace={v.details.trace as number[]} steps={Number(v.details.steps)} /> : null}
          </div>
        </div>
      ) : null}
    </>
  );
}

export function SectionHeader({ artifact, level = 2 }: { artifact: ArtifactJson; level?: 2 | 3 }) {
  const H = level === 2 ? 'h2' : 'h3';
  return (
    <div className="spread ch-head">
      <H id={`ch-${artifact.kind}`}>
        {ARTIFACT_LABELS[artifact.kind]} <span className={`badge ${artifact.status === 'missing' ? 'cancelled' : artifact.status}`}>{artifact.status === 'missing' ? 'not computed' : artifact.status}</span>
      </H>
      {artifact.status === 'completed' ? (
        <span className="small muted">
          computed in {formatValue(artifact.seconds)} s ·{' '}
          <a href={`${artifact.files['values.json']}?download=1`} download>
            values (JSON)
          </a>
        </span>
      ) : null}
    </div>
  );
}
