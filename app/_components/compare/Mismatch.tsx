/**
 * Said above a two-analysis comparison whose sides are not like with like:
 * different targets or different ranking statistics. The charts still draw
 * both; the reader is told what the differences mean before reading them.
 */
import type { AnalysisInfo } from '@/lib/server/shared/compare';
import { differences } from './defaults';

export function Mismatch({ infos }: { infos: AnalysisInfo[] }) {
  if (infos.length !== 2) return null;
  const diff = differences(infos[0], infos[1]);
  if (diff.length === 0) return null;
  return (
    <p className="alert warn small" role="note" data-testid="cmp-mismatch">
      Not like with like: {diff.join(', and ')}. Differences in the charts below may come from that rather than from the networks or runs; pick two
      analyses of the same target and statistic to compare them alone.
    </p>
  );
}
