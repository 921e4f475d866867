import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { requireLab, roleAtLeast } from '../../../../../lib/server/access';
import { analysisResults } from '../../../../../lib/server/analyses';
import { ApiError } from '../../../../../lib/server/errors';
import { cancelAnalysisAction } from '../../../../actions/analyses';
import { ActionForm } from '../../../../_components/ActionForm';
import { formatDate, formatNumber } from '../../../../_components/format';
import { LabHeader } from '../../LabNav';
import { CommentThread } from '../../../../_components/discussion/CommentThread';

export const metadata: Metadata = { title: 'Analysis' };

export default async function AnalysisPage({ params }: { params: Promise<{ lab: string; analysisId: string }> }) {
  const { lab: slug, analysisId } = await params;
  const ctx = await requireLab(slug, 'viewer', `/labs/${slug}/analyses/${analysisId}`);
  const res = await analysisResults(ctx.lab.id, analysisId, { top: 10 }).catch((err) => {
    if (err instanceof ApiError && err.status === 404) notFound();
    throw err;
  });
  const a = res.analysis;
  const canCancel = roleAtLeast(ctx.role, 'member') && (a.status === 'queued' || a.status === 'running');
  return (
    <>
      <LabHeader ctx={ctx} title={a.title ?? 'Analysis'} />
      <dl className="panel small">
        <div className="row">
          <dt>Status</dt>
          <dd>
            <span className={`badge ${a.status}`}>{a.status}</span>
            {a.cancelRequested && a.status === 'running' ? ' (cancel requested)' : null}
          </dd>
        </div>
        {a.status === 'running' ? (
          <div>
            <progress value={a.progress} max={1} aria-label="Progress" /> {Math.round(a.progress * 100)}%
            {a.currentLayer ? ` · ${a.currentLayer}` : ''}
            {a.etaSeconds ? ` · about ${Math.ceil(a.etaSeconds / 60)} min left` : ''}
          </div>
        ) : null}
        <div className="row">
          <dt>Model</dt>
          <dd>
            <Link href={`/labs/${slug}/models/${a.modelVersion.model.id}`}>
              {a.modelVersion.model.name} v{a.modelVersion.version}
            </Link>
          </dd>
          <dt>Dataset</dt>
          <dd>
            <Link href={`/labs/${slug}/datasets/${a.dataset.id}`}>{a.dataset.name}</Link>
          </dd>
        </div>
        <div className="row">
          <dt>Target</dt>
          <dd className="mono">{JSON.stringify(a.target)}</dd>
          <dt>Layers</dt>
          <dd className="mono">{JSON.stringify(a.layers)}</dd>
        </div>
        <div className="row">
          <dt>Created</dt>
          <dd>
            {formatDate(a.createdAt)} by {a.createdBy.name}
          </dd>
          {a.finishedAt ? (
            <>
              <dt>Finished</dt>
              <dd>{formatDate(a.finishedAt)}</dd>
            </>
          ) : null}
        </div>
        {a.error ? (
          <p className="alert error" role="alert">
            {a.error}
          </p>
        ) : null}
      </dl>
      {canCancel ? (
        <ActionForm action={cancelAnalysisAction} submitLabel="Cancel analysis" buttonClass="danger" confirm="Cancel this analysis?">
          <input type="hidden" name="lab" value={slug} />
          <input type="hidden" name="analysisId" value={a.id} />
        </ActionForm>
      ) : null}

      <h2>Top channels</h2>
      {res.layers.length === 0 ? (
        <p className="empty">No results yet.</p>
      ) : (
        res.layers.map((l) => (
          <section key={l.name} aria-labelledby={`layer-${l.index}`}>
            <h3 id={`layer-${l.index}`} className="mono">
              {l.name}
            </h3>
            <table>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Rank
                  </th>
                  <th scope="col" className="num">
                    Channel
                  </th>
                  <th scope="col" className="num">
                    Cross-fit
                  </th>
                  <th scope="col" className="num">
                    Multiple
                  </th>
                  <th scope="col" className="num">
                    PC1
                  </th>
                  <th scope="col" className="num">
                    p
                  </th>
                  <th scope="col">Flags</th>
                </tr>
              </thead>
              <tbody>
                {l.channels.map((c) => (
                  <tr key={c.index}>
                    <td className="num">{c.rank}</td>
                    <td className="num">{c.index}</td>
                    <td className="num">{formatNumber(c.score_crossfit)}</td>
                    <td className="num">{formatNumber(c.score_multiple)}</td>
                    <td className="num">{formatNumber(c.score_pc1)}</td>
                    <td className="num">{formatNumber(c.p_value)}</td>
                    <td className="small">{c.flags.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))
      )}
      <CommentThread lab={slug} analysisId={a.id} />
    </>
  );
}
