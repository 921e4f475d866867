import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { requireLab, roleAtLeast } from '@/lib/server/access';
import { getAnalysis, topChannels } from '@/lib/server/analysis-results';
import { analysisLayers, channelFromQuery, checkChannel, listThread, type ChannelRef } from '@/lib/server/comments';
import { ApiError } from '@/lib/server/errors';
import { targetLabel } from '@/lib/server/history';
import { listPins, myPins, pinKey } from '@/lib/server/pins';
import { CommentThread } from '@/app/_components/discussion/CommentThread';
import { discussionHref } from '@/app/_components/discussion/links';
import { PinButton } from '@/app/_components/discussion/PinButton';
import { PinnedChannels } from '@/app/_components/discussion/PinnedChannels';
import { exactTime, formatDuration } from '@/app/_components/discussion/time';
import { formatNumber } from '@/app/_components/format';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'Discussion' };

const TOP = 5;

/**
 * An analysis' entry in the lab history: what ran, its discussion, its
 * channels' threads and pins. The channel shown is in the URL (?layer=&channel=).
 */
export default async function DiscussionPage({
  params,
  searchParams,
}: {
  params: Promise<{ lab: string; analysisId: string }>;
  searchParams?: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { lab: slug, analysisId } = await params;
  const search = (await searchParams) ?? {};
  const ctx = await requireLab(slug, 'viewer', `/labs/${slug}/history/${analysisId}`);
  const orNotFound = (err: unknown): never => {
    if (err instanceof ApiError && err.status === 404) notFound();
    throw err;
  };
  const a = await getAnalysis(ctx.lab.id, analysisId).catch(orNotFound);
  const { layers } = await analysisLayers(ctx.lab.id, a.id);
  const canWrite = roleAtLeast(ctx.role, 'member');

  let ref: ChannelRef | null = null;
  let refError: string | null = null;
  try {
    const q = new URLSearchParams();
    for (const k of ['layer', 'channel']) if (typeof search[k] === 'string' && search[k] !== '') q.set(k, search[k] as string);
    ref = channelFromQuery(q);
    if (ref) checkChannel(layers, ref);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    ref = null;
    refError = err.message;
  }

  const [thread, channelThread, pins, mine, top] = await Promise.all([
    listThread(ctx, a.id, null),
    ref ? listThread(ctx, a.id, ref) : Promise.resolve(undefined),
    listPins(ctx, a.id),
    myPins(ctx, a.id),
    topChannels(ctx.lab.id, a.id, TOP),
  ]);
  const duration = a.startedAt && a.finishedAt ? (a.finishedAt.getTime() - a.startedAt.getTime()) / 1000 : null;
  const title = a.title ?? a.id;

  return (
    <>
      <LabHeader ctx={ctx} title={`Discussion: ${title}`} />
      <div className="panel small hist-summary">
        <p className="row" style={{ margin: 0 }}>
          <span className={`badge ${a.status}`}>{a.status}</span>
          {a.status === 'running' ? <span>{Math.round(a.progress * 100)}%</span> : null}
          <span>
            {a.modelVersion.model.name} v{a.modelVersion.version} × {a.dataset.name} · {targetLabel(a.target)}
          </span>
          <span>
            by {a.createdBy.name}, <time dateTime={a.createdAt.toISOString()}>{exactTime(a.createdAt.toISOString())}</time>
          </span>
          {duration !== null ? <span>took {formatDuration(duration)}</span> : null}
          <Link href={`/labs/${slug}/analyses/${a.id}`}>Open the analysis</Link>
          <Link href={`/labs/${slug}/history`}>Back to the history</Link>
        </p>
      </div>

      <CommentThread lab={slug} analysisId={a.id} initial={thread} />

      <section aria-labelledby="channel-h" id="channel" className="disc-channel">
        <h2 id="channel-h">Channels</h2>
        <form method="get" action={`/labs/${slug}/history/${a.id}#channel`} className="row disc-channel-picker">
          <div className="field">
            <label htmlFor="ch-layer">Layer</label>
            <select id="ch-layer" name="layer" defaultValue={ref?.layer ?? layers[0]?.name ?? ''}>
              {layers.map((l) => (
                <option key={l.name} value={l.name}>
                  {l.name} ({l.channels} channels)
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="ch-channel">Channel</label>
            <input id="ch-channel" name="channel" type="number" min={0} step={1} required defaultValue={ref?.channel ?? ''} />
          </div>
          <button type="submit" className="secondary">
            Show channel
          </button>
        </form>
        {refError ? (
          <p className="alert error" role="alert">
            {refError}
          </p>
        ) : null}

        {ref && channelThread ? (
          <div className="panel disc-channel-panel">
            <div className="spread">
              <h3 className="mono" style={{ margin: 0 }}>
                {ref.layer} · channel {ref.channel}
              </h3>
              <PinButton lab={slug} analysisId={a.id} layer={ref.layer} channel={ref.channel} pin={mine.get(pinKey(ref.layer, ref.channel)) ?? null} canWrite={canWrite} />
            </div>
            <CommentThread lab={slug} analysisId={a.id} layer={ref.layer} channel={ref.channel} headingLevel={4} initial={channelThread} />
          </div>
        ) : null}

        {top.length === 0 ? (
          <p className="empty">No channel results yet: pick a layer and channel above to discuss or pin it.</p>
        ) : (
          top.map((l) => (
            <table key={l.name} className="disc-top">
              <caption className="small">
                Top {TOP} of <span className="mono">{l.name}</span>
              </caption>
              <TableHead columns={[{ label: 'Rank', num: true }, { label: 'Channel', num: true }, { label: 'Cross-fit', num: true }, { label: 'p', num: true }, <span className="sr-only">Actions</span>]} />
              <tbody>
                {l.channels.map((c) => (
                  <tr key={c.channel}>
                    <td className="num">{c.rank}</td>
                    <td className="num">{c.channel}</td>
                    <td className="num">{formatNumber(c.scoreCrossfit ?? c.scoreMultiple)}</td>
                    <td className="num">{formatNumber(c.pValue)}</td>
                    <td className="row small">
                      <Link href={discussionHref(slug, a.id, { layer: l.name, channel: c.channel })}>Discuss</Link>
                      <PinButton lab={slug} analysisId={a.id} layer={l.name} channel={c.channel} pin={mine.get(pinKey(l.name, c.channel)) ?? null} canWrite={canWrite} withNote={false} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))
        )}
      </section>

      <PinnedChannels lab={slug} pins={pins} />
    </>
  );
}
