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
  const [artifacts, near, verdict, importance] = await Promise.all([
    channelArtifacts(ctx.lab.id, ref, c),
    rankNeighbours(found.layerResult.id, found.result.rank),
    layerVerdict(ctx.lab.id, analysisId, layer),
    channelImportance(found.layerResult, found.channel),
  ]);
  const canRequest = roleAtLeast(ctx.role, 'member');
  const a = found.analysis;
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
      <p className="small muted">
        {a.modelVersion.model.name} v{a.modelVersion.version} × {a.dataset.name} · target <span className="mono">{JSON.stringify(a.target)}</span> · rank{' '}
        {found.result.rank} of {found.channels}
        {near.above !== null ? (
          <>
            {' · '}
            <Link href={`${layerPath}/channels/${near.above}`} rel="prev">
              ← rank {found.result.rank - 1} (channel {near.above})
            </Link>
          </>
        ) : null}
        {near.below !== null ? (
          <>
            {' · '}
            <Link href={`${layerPath}/channels/${near.below}`} rel="next">
              rank {found.result.rank + 1} (channel {near.below}) →
            </Link>
          </>
        ) : null}
      </p>
      <ChannelScores channel={found.result} channels={found.channels} filename={`${layer}-channel-${found.channel}-scores.json`} rule={verdict.verdict_rule} sanity={verdict.sanity} />
      {importance ? <ChannelDeletion view={importance} channel={found.channel} layer={layer} /> : null}
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
    </>
  );
}
