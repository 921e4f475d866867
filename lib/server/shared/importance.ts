/** The importance measures' keys and words (lib/analysis/importance/types.ts, declarations only), for client components. */
export { IMPORTANCE_MEASURES, MEASURE_LABELS, type LayerImportance, type MeasureKey } from '../../analysis/importance/types';

import type { LayerImportance } from '../../analysis/importance/types';

/** Where one channel is removed on each of its layer's deletion orders (1 = first removed top-first). */
export interface ChannelImportanceView {
  importance: LayerImportance;
  places: { measure: string; position: number; fraction: number; value: number | null }[];
  channels: number;
}
