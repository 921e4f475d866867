/**
 * Which comparison a set of ticked analyses opens: one analysis → its methods
 * view; two runs of one model on one target → runs; analyses of one model
 * version on different targets → classes; two different models → architectures.
 * Otherwise the reason nothing fits, to show beside the button.
 */
import type { AnalysisRow } from '@/lib/server/shared/analysis-table';

/** Most analyses the classes view takes (its API's limit). */
const MAX_CLASSES = 12;

export type TickedComparison = { href: string; label: string } | { href: null; reason: string };

export function compareTicked(lab: string, ticked: Pick<AnalysisRow, 'id' | 'title' | 'status' | 'model' | 'target'>[]): TickedComparison {
  const base = `/labs/${encodeURIComponent(lab)}/compare`;
  if (ticked.length === 0) return { href: null, reason: 'Tick analyses to compare them.' };
  const unfinished = ticked.find((a) => a.status !== 'completed');
  if (unfinished) return { href: null, reason: `Only completed analyses can be compared: "${unfinished.title}" is ${unfinished.status}.` };
  const ids = ticked.map((a) => a.id);
  if (ticked.length === 1) return { href: `${base}/methods?analysis=${ids[0]}`, label: 'Compare methods' };
  const oneVersion = ticked.every((a) => a.model.versionId === ticked[0].model.versionId);
  const targets = new Set(ticked.map((a) => a.target));
  if (ticked.length === 2) {
    const [a, b] = ids;
    if (ticked[0].model.id === ticked[1].model.id && targets.size === 1) return { href: `${base}/runs?a=${a}&b=${b}`, label: 'Compare runs' };
    if (oneVersion) return { href: `${base}/classes?analyses=${ids.join(',')}`, label: 'Compare classes' };
    return { href: `${base}/architectures?a=${a}&b=${b}`, label: 'Compare architectures' };
  }
  if (!oneVersion) return { href: null, reason: 'Three or more analyses compare as classes: tick analyses of one model version, or two analyses.' };
  if (targets.size < ticked.length) return { href: null, reason: 'Comparing classes needs one analysis per target: two ticked analyses have the same target.' };
  if (ticked.length > MAX_CLASSES) return { href: null, reason: `Comparing classes takes at most ${MAX_CLASSES} analyses.` };
  return { href: `${base}/classes?analyses=${ids.join(',')}`, label: 'Compare classes' };
}
