/**
 * Network-wide q-values of a finished analysis. A layer task knows only its
 * own channels, so the one BH family over every channel of every layer can be
 * formed only once the last layer is stored: the completing transaction calls
 * this, and each channel's `q_value_network` lands in its `extra` beside the
 * per-layer q. Layers without a verdict record (no null, or stored before
 * verdicts existed) are left out of the family, as in the CLI's results.json.
 */
import type { Prisma } from '../db/generated/client';
import { addNetworkQValues } from '../analysis/results';
import type { ChannelResult, LayerResult } from '../analysis/types';
import { layerVerdictRecord } from './result-rows';

/** Computes and stores q_value_network for every channel of the analysis' calibrated layers; returns how many channels got one. */
export async function storeNetworkQValues(tx: Prisma.TransactionClient, analysisId: string): Promise<number> {
  const rows = await tx.layerResult.findMany({
    where: { analysisId },
    orderBy: { index: 'asc' },
    select: { name: true, extra: true, channels: { select: { id: true, pValue: true }, orderBy: { channel: 'asc' } } },
  });
  const ids: string[][] = [];
  const layers = rows.map((r) => {
    ids.push(r.channels.map((c) => c.id));
    const channels = r.channels.map((c) => ({ p_value: c.pValue ?? undefined }) as ChannelResult);
    return { name: r.name, channels, ...layerVerdictRecord(r.extra) } as LayerResult;
  });
  addNetworkQValues(layers);
  const channelIds: string[] = [];
  const qs: number[] = [];
  layers.forEach((l, i) =>
    l.channels.forEach((c, j) => {
      if (c.q_value_network !== undefined && Number.isFinite(c.q_value_network)) {
        channelIds.push(ids[i][j]);
        qs.push(c.q_value_network);
      }
    }),
  );
  if (!channelIds.length) return 0;
  await tx.$executeRaw`
    UPDATE "ChannelResult" c
    SET extra = COALESCE(c.extra, '{}'::jsonb) || jsonb_build_object('q_value_network', v.q)
    FROM unnest(${channelIds}::text[], ${qs}::float8[]) AS v(id, q)
    WHERE c.id = v.id`;
  return channelIds.length;
}
