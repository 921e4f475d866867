/** Words for the importance measures and deletion curves, shared by the methods view and the channel page. */
import { MEASURE_LABELS } from '@/lib/server/shared/importance';

export type CurveReading = 'rms' | 'score' | 'accuracy';

export const CURVE_READINGS: { key: CurveReading; label: string; axis: string; read: (direction: 'top' | 'bottom') => string }[] = [
  {
    key: 'rms',
    label: 'class-score change per image (RMS)',
    axis: 'RMS change of the class score',
    read: (d) =>
      d === 'top'
        ? 'The higher a curve climbs early, the more of what each image’s score depends on its first channels carry (larger area is better).'
        : 'A curve that stays low until late keeps what matters among the channels removed last (smaller area is better).',
  },
  {
    key: 'score',
    label: 'mean class score',
    axis: 'Mean class score',
    read: (d) =>
      d === 'top'
        ? 'The faster a curve falls, the more its first channels carry the mean score (smaller area is better). Where the network above acts linearly on a channel, mean-ablation cannot move the mean score: read the RMS change.'
        : 'A curve that stays high keeps the score in the channels removed last (larger area is better).',
  },
  {
    key: 'accuracy',
    label: 'accuracy',
    axis: 'Accuracy',
    read: (d) => (d === 'top' ? 'The faster a curve falls, the more its first channels carry the decisions (smaller area is better).' : 'A curve that stays high keeps the decisions in the channels removed last.'),
  },
];

/** A measure key (or the PCACE field) in words. */
export function curveLabel(key: string): string {
  // The network-wide curves follow PCACE's global ranking (lib/analysis/importance/network-curves.ts).
  if (key === 'effect') return 'PCACE (global ranking by effect)';
  if (key in MEASURE_LABELS) return MEASURE_LABELS[key as keyof typeof MEASURE_LABELS].label;
  if (key.startsWith('score_') || key.startsWith('z_')) return `PCACE (${key.replace('score_', '').replace('_', ' ')})`;
  return key;
}
