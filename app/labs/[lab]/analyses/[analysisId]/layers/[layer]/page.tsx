import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { requireLab, roleAtLeast } from '@/lib/server/access';
import { analysisSamples, findLayer, layerChannels, stripArtifact } from '@/lib/server/artifacts';
import { ApiError } from '@/lib/server/errors';
import { layerGroups } from '@/lib/server/group-artifacts';
import { GroupScore } from '@/app/_components/channel/GroupScore';
import { LayerStrip } from '@/app/_components/channel/LayerStrip';
import { formatNumber } from '@/app/_components/format';
import { layerApiBase, layerFromParam, layerPageHref } from '@/app/_components/layer-path';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'Layer' };

type Params = { lab: string; analysisId: string; layer: string };
/** Thumbnails offered by the image picker (the chosen image is always among them). */
const PICKER = 24;

/**
 * /labs/:lab/analyses/:analysisId/layers/:layer[?image=<sample id>] — the layer strip (top-5 and
 * bottom-5 channels on one image of the analysis' sample), group PCACE of channels a member picks
 * (beside the layer's own top-k groups) and the layer's channels by rank.
 */
export default async function LayerPage({ params, searchParams }: { params: Promise<Params>; searchParams?: Promise<{ image?: string | string[] }> }) {
  const { lab: slug, analysisId, layer: rawLayer } = await params;
  const image = (await (searchParams ?? Promise.resolve({} as { image?: string | string[] }))).image;
  const chosen = typeof image === 'string' ? image : null;
  const layer = layerFromParam(rawLayer);
  const ctx = await requireLab(slug, 'viewer', layer === null ? `/labs/${slug}/analyses/${analysisId}` : layerPageHref(slug, analysisId, layer));
  if (layer === null) notFound();
  const base = layerPageHref(slug, analysisId, layer);
  const api = layerApiBase(slug, analysisId, layer);
  const on404 = (err: unknown): never => {
    if (err instanceof ApiError && err.status === 404) notFound();
    throw err;
  };
  const { analysis: a, layerResult } = await findLayer(ctx.lab.id, analysisId, layer).catch(on404);
  const ref = { slug, analysisId, layer };
  let pickError: string | null = null;
  const strip = await stripArtifact(ctx.lab.id, ref, chosen).catch(async (err) => {
    // An image that is not in the sample (an old link, a typo): say so and show the first image.
    if (!(err instanceof ApiError && err.status === 400)) throw err;
    pickError = err.message;
    return stripArtifact(ctx.lab.id, ref, null);
  });
  const [samples, channels, groups] = await Promise.all([analysisSamples(ctx.lab.id, analysisId), layerChannels(layerResult.id), layerGroups(ctx.lab.id, ref)]);
  const current = samples.find((s) => s.id === strip.variant);
  const offered = samples.slice(0, PICKER);
  if (current && current.index >= PICKER) offered.push(current);
  const shape = layerResult.shape as number[];
  return (
    <>
      <LabHeader ctx={ctx} title={`Layer ${layer}`} />
      <nav aria-label="Breadcrumb" className="small ch-crumbs">
        <Link href={`/labs/${slug}/analyses/${analysisId}`}>{a.title ?? 'Analysis'}</Link> › layer <span className="mono">{layer}</span>
      </nav>
      <p className="small muted">
        {shape[1]} channels · maps {shape[2]}×{shape[3]} · {shape[0]} images · {a.modelVersion.model.name} v{a.modelVersion.version} × {a.dataset.name}
      </p>

      <section aria-labelledby="ch-picker-h" className="ch-picker-section">
        <h2 id="ch-picker-h">Image</h2>
        {pickError ? (
          <p className="alert error" role="alert">
            {pickError}; showing the first image instead.
          </p>
        ) : null}
        <ul className="ch-picker" aria-label="Images of the analysis sample">
          {offered.map((s) => (
            <li key={s.id}>
              <Link href={`${base}?image=${encodeURIComponent(s.id)}`} aria-current={s.id === strip.variant ? 'true' : undefined} title={s.id}>
                <img src={`${api}/samples/${s.index}`} alt={`${s.id}${s.label !== undefined ? ` (class ${s.label})` : ''}`} width={48} height={48} />
              </Link>
            </li>
          ))}
        </ul>
        <p className="small muted">The first {PICKER} of the {samples.length} images the analysis ranked with.</p>
      </section>

      <LayerStrip
        key={strip.variant}
        url={`${api}/strip`}
        initial={strip}
        canRequest={roleAtLeast(ctx.role, 'member')}
        channelHref={`${base}/channels`}
      />

      <GroupScore
        url={`${api}/group`}
        layer={layer}
        limits={groups.limits}
        stored={groups.stored}
        groups={groups.groups}
        canRequest={roleAtLeast(ctx.role, 'member')}
        channelHref={`${base}/channels`}
      />

      <section aria-labelledby="ch-all">
        <h2 id="ch-all">All channels by rank</h2>
        <table className="ch-table">
          <TableHead columns={[{ label: 'Rank', num: true }, { label: 'Channel', num: true }, { label: 'Cross-fit', num: true }, { label: 'Multiple', num: true }, { label: 'PC1', num: true }, { label: 'p', num: true }, 'Flags']} />
          <tbody>
            {channels.map((c) => (
              <tr key={c.index}>
                <td className="num">{c.rank}</td>
                <td className="num">
                  <Link href={`${base}/channels/${c.index}`}>{c.index}</Link>
                </td>
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
    </>
  );
}
