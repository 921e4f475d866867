import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { requireLab, roleAtLeast } from '@/lib/server/access';
import { analysisProgress } from '@/lib/server/analysis-progress';
import { analysisResults } from '@/lib/server/analysis-results';
import { ApiError } from '@/lib/server/errors';
import { AnalysisLive } from '@/app/_components/analysis/AnalysisLive';
import { measureOfRankBy, toChannelRow, type LayerView } from '@/app/_components/analysis/measures';
import { ResultsView } from '@/app/_components/analysis/ResultsView';
import { SanityTable } from '@/app/_components/analysis/SanityTable';
import { formatDate } from '@/app/_components/format';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { describeOptions, describeTarget } from './describe';
import { CommentThread } from '@/app/_components/discussion/CommentThread';

export const metadata: Metadata = { title: 'Analysis' };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined);

export default async function AnalysisPage({ params, searchParams }: { params: Promise<{ lab: string; analysisId: string }>; searchParams?: Promise<Search> }) {
  const { lab: slug, analysisId } = await params;
  const search: Search = (await searchParams) ?? {};
  const ctx = await requireLab(slug, 'viewer', `/labs/${slug}/analyses/${analysisId}`);
  // Progress first: if a layer lands between the two reads, the page shows it as
  // done-but-loading and the live view refreshes, never "complete" without it.
  const [progress, res] = await (async () => {
    try {
      const p = await analysisProgress(ctx.lab.id, analysisId);
      return [p, await analysisResults(ctx.lab.id, analysisId)] as const;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) notFound();
      throw err;
    }
  })();
  const a = res.analysis;
  const options = (a.options ?? {}) as Record<string, unknown>;
  const layers: LayerView[] = res.layers.map((l) => ({
    name: l.name,
    index: l.index,
    shape: Array.isArray(l.shape) ? (l.shape as number[]) : [],
    seconds: l.seconds,
    warnings: l.warnings,
    verdict_rule: l.verdict_rule,
    null: l.null,
    channels: l.channels.map(toChannelRow),
  }));
  const total = progress.layers.length || layers.length;
  const running = a.status === 'queued' || a.status === 'running';

  return (
    <>
      <LabHeader ctx={ctx} title={a.title ?? 'Analysis'} />
      <AnalysisLive lab={slug} analysisId={a.id} initial={progress} resultLayers={layers.length} canCancel={roleAtLeast(ctx.role, 'member')} />

      <details className="panel pa-settings">
        <summary>
          <strong>Settings</strong>{' '}
          <span className="small muted">
            {a.modelVersion.model.name} v{a.modelVersion.version} × {a.dataset.name} · {describeTarget(a.target, a.dataset.kind)}
          </span>
        </summary>
        <dl className="pa-dl small">
          <dt>Model</dt>
          <dd>
            <Link href={`/labs/${slug}/models/${a.modelVersion.model.id}`}>
              {a.modelVersion.model.name} v{a.modelVersion.version}
            </Link>
          </dd>
          <dt>Dataset</dt>
          <dd>
            <Link href={`/labs/${slug}/datasets/${a.dataset.id}`}>{a.dataset.name}</Link> ({a.dataset.kind})
          </dd>
          <dt>Target</dt>
          <dd>{describeTarget(a.target, a.dataset.kind)}</dd>
          <dt>Layers</dt>
          <dd className="mono">{a.layers === 'all' ? 'all conv layers' : (a.layers as string[]).join(', ')}</dd>
          {describeOptions(options).map(([k, v]) => (
            <div key={k} className="pa-dl-row">
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
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
          {a.codeVersion ? (
            <>
              <dt>Software</dt>
              <dd className="mono">
                pcace-lab {a.codeVersion}
                {a.engineVersion ? `, ${a.engineVersion}` : ''}
              </dd>
            </>
          ) : null}
        </dl>
      </details>

      <h2 id="pa-results-h">
        Results{' '}
        {total > 0 && layers.length < total ? (
          <span className="small muted">
            ({layers.length} of {total} layers{running ? '; the rest appear as they finish' : ''})
          </span>
        ) : null}
      </h2>
      {layers.length === 0 ? (
        <p className="empty">
          {running
            ? 'Results appear here layer by layer as the worker finishes them.'
            : a.status === 'completed'
              ? 'This analysis stored no results.'
              : `No layer finished before the analysis ${a.status === 'failed' ? 'failed' : 'was cancelled'}.`}
        </p>
      ) : (
        <ResultsView
          subject={`${a.title ?? 'Analysis'} (${a.modelVersion.model.name} v${a.modelVersion.version} × ${a.dataset.name}, ${describeTarget(a.target, a.dataset.kind)})`}
          lab={slug}
          analysisId={a.id}
          layers={layers}
          defaultMeasure={measureOfRankBy(options.rankBy as string | undefined)}
          initialLayer={one(search.layer)}
          initialMeasure={one(search.measure)}
          initialBin={one(search.bin)}
        />
      )}
      <SanityTable layers={res.layers} />
      <CommentThread lab={slug} analysisId={a.id} />
    </>
  );
}
