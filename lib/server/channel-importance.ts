/**
 * A channel's place on its layer's deletion curves: for each order the curves
 * follow (PCACE and each importance measure), where in that order the channel
 * is removed. The channel page draws it as a marker on the curves.
 */
import { orderOf } from '../analysis/importance/curves';
import { layerImportanceRecord } from '../queue/result-rows';
import { layerChannels } from './artifacts';
import type { ChannelImportanceView } from './shared/importance';

export async function channelImportance(layerResult: { id: string; extra: unknown }, channel: number): Promise<ChannelImportanceView | null> {
  const { importance } = layerImportanceRecord(layerResult.extra);
  if (!importance) return null;
  const channels = (await layerChannels(layerResult.id)).sort((a, b) => a.index - b.index);
  const at = channels.findIndex((c) => c.index === channel);
  if (at < 0) return null;
  const keys = [...new Set(importance.curves.curves.map((c) => c.measure))];
  const places = keys.flatMap((measure) => {
    const values = channels.map((c) => (c as unknown as Record<string, number | undefined>)[measure] ?? NaN);
    if (!values.some(Number.isFinite)) return [];
    const position = orderOf(values, 'top').indexOf(at) + 1;
    return [{ measure, position, fraction: position / channels.length, value: Number.isFinite(values[at]) ? values[at] : null }];
  });
  return { importance, places, channels: channels.length };
}
