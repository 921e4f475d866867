import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { requireLab, roleAtLeast } from '@/lib/server/access';
import { channelArtifacts, findChannel, rankNeighbours } from '@/lib/server/artifacts';
import { layerVerdict } from '@/lib/server/analysis-results';
import { channelImportance } from '@/lib/server/channel-importance';
import { ChannelDeletion } from '@/app/_components/channel/ChannelDeletion';
import { ApiError } from '@/lib/server/errors';
import { ChannelArtifacts } from '@/app/_components/channel/ChannelArtifacts';
import { ChannelScores } from '@/app/_components/channel/ChannelScores';
import { layerApiBase, layerFromParam, layerPageHref } from '@/app/_components/layer-path';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { listThread } from '@/lib/server/comments';
import { targetLabel } from '@/lib/server/history';
import { myPins, pinKey } from '@/lib/server/pins';
import { ChannelFlags } from '@/app/_components/channel/ChannelFlags';
import { CopyButton } from '@/app/_components/CopyButton';
import { CommentThread } from '@/app/_components/discussion/CommentThread';
import { PinButton } from '@/app/_components/discussion/PinButton';

export const metadata: Metadata = { title: 'Channel' };

type Params = { lab: string; analysisId: string; layer: string; c: string };

/** /labs/:lab/analyses/:analysisId/layers/:layer/channels/:c — one ranked channel: its scores and what it responds to. */
export default async function ChannelPage({ params }: { params: Promise<Params> }) {
  const { lab: slug, analysisId, layer: rawLayer, c } = await params;
  const layer = layerFromParam(rawLayer);
  const ctx = await requireLab(slug, 'viewer', layer === null ? `/labs/${slug}/analyses/${analysisId}` : `${layerPageHref(slug, analysisId, layer)}/channels/${c}`);
  if (layer === null) notFound();
  const layerPath = layerPageHref(slug, analysisId, layer);
  const found = await findChannel(ctx.lab.id, analysisId, layer, c).catch((err) => {
    if (err instanceof ApiError && err.status === 404) notFound();
    throw err;
  });
  const ref = { slug, analysisId, layer };
  const [artifacts, near, verdict, importance, thread, mine] = await Promise.all([
    channelArtifacts(ctx.lab.id, ref, c),
    rankNeighbours(found.layerResult.id, found.result.rank),
    layerVerdict(ctx.lab.id, analysisId, layer),
    channelImportance(found.layerResult, found.channel),
    listThread(ctx, analysisId, { layer, channel: found.channel }),
    myPins(ctx, analysisId),
  ]);
  const canRequest = roleAtLeast(ctx.role, 'member');
  const a = found.analysis;
  const self = `${layerPath}/channels/${found.channel}`;
  return (
    <>
      <LabHeader ctx={ctx} title={`Channel ${found.channel} · ${layer}`} />
      <nav aria-label="Breadcrumb" className="small ch-crumbs">
        <Link href={`/labs/${slug}/analyses/${analysisId}`}>{a.title ?? 'Analysis'}</Link> ›{' '}
        <Link href={layerPath}>
          layer <span className="mono">{layer}</span>
        </Link>{' '}
        › channel {found.channel}
      </nav>
      <p className="small muted ch-context">
        {a.modelVersion.model.name} v{a.modelVersion.version} × {a.dataset.name} · explains <strong data-testid="ch-target">{targetLabel(a.target)}</strong> ·
        rank {found.result.rank} of {found.channels}
      </p>
      <div className="row ch-actions">
        {near.above !== null ? (
          <Link className="button secondary" href={`${layerPath}/channels/${near.above}`} rel="prev">
            ← rank {found.result.rank - 1} (channel {near.above})
          </Link>
        ) : null}
        {near.below !== null ? (
          <Link className="button secondary" href={`${layerPath}/channels/${near.below}`} rel="next">
            rank {found.result.rank + 1} (channel {near.below}) →
          </Link>
        ) : null}
        <CopyButton text={self} absolute label="Copy link" what="to this channel" />
        <PinButton lab={slug} analysisId={analysisId} layer={layer} channel={found.channel} pin={mine.get(pinKey(layer, found.channel)) ?? null} canWrite={canRequest} />
      </div>
      <ChannelFlags channel={found.result} />
      {!canRequest ? (
        <p className="alert ch-viewer small" role="note">
          You are a viewer in this lab: you can see pictures that have been computed, but only members can ask the workers for new ones.
        </p>
      ) : null}
      <ChannelArtifacts
        url={`${layerApiBase(slug, analysisId, layer)}/channels/${found.channel}/artifacts`}
        initial={artifacts}
        channel={found.channel}
        canRequest={canRequest}
      />
      <ChannelScores channel={found.result} channels={found.channels} filename={`${layer}-channel-${found.channel}-scores.json`} rule={verdict.verdict_rule} sanity={verdict.sanity} />
      {importance ? <ChannelDeletion view={importance} channel={found.channel} layer={layer} /> : null}
      <CommentThread lab={slug} analysisId={analysisId} layer={layer} channel={found.channel} initial={thread} />
    </>
  );
}
