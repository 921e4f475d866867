/** A one-line progress bar on stderr (redrawn in place on a terminal, sparse lines otherwise). */
import type { AnalysisProgress } from '../analysis/types';

export function progressBar(stream: NodeJS.WriteStream = process.stderr): (p: AnalysisProgress) => void {
  let lastLine = '';
  let lastPrinted = 0;
  return (p) => {
    const width = 30;
    const filled = Math.round(p.fraction * width);
    const eta = p.etaSeconds !== undefined ? ` ETA ${formatSeconds(p.etaSeconds)}` : '';
    const where = p.layer ? ` ${p.layer}` : '';
    const ch = p.channels ? ` ${p.channelsDone ?? 0}/${p.channels} channels` : '';
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(p.fraction * 100).toFixed(0).padStart(3)}% ${p.phase}${where}${ch}${eta}`;
    if (line === lastLine) return;
    lastLine = line;
    if (stream.isTTY) {
      stream.write(`\r${line.padEnd(100)}`);
      if (p.phase === 'done') stream.write('\n');
    } else {
      const now = Date.now();
      if (now - lastPrinted > 2000 || p.phase === 'done') {
        stream.write(line + '\n');
        lastPrinted = now;
      }
    }
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
