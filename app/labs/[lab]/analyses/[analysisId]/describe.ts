/** Human-readable settings of an analysis (the stored JSON columns). */

type Components = number | 'half' | { varianceFraction: number };

export function describeComponents(k: unknown): string {
  const c = k as Components | undefined;
  if (c === undefined) return '—';
  if (c === 'half') return 'half the positions';
  if (typeof c === 'object' && c) return `${Math.round(c.varianceFraction * 100)} % of the variance`;
  return `k = ${c}`;
}

export function describeTarget(target: unknown, datasetKind: string): string {
  const t = target as { kind?: string; index?: number; source?: string } | null;
  if (t?.kind === 'class') return `class ${t.index} (pre-softmax score)`;
  if (t?.kind === 'regression') {
    return t.source === 'dataset' || (t.source === undefined && datasetKind === 'csv') ? 'regression on the dataset target' : `regression on output ${t.index ?? 0}`;
  }
  return JSON.stringify(target);
}

export function describeOptions(options: Record<string, unknown>): [string, string][] {
  const o = options;
  const out: [string, string][] = [
    ['Images', String(o.images ?? '—')],
    ['Components', describeComponents(o.components)],
    ['ACE flavour', String(o.flavour ?? '—')],
    ['Ranked by', String(o.rankBy ?? '—')],
    ['Permutations', String(o.permutations ?? 0)],
    ['Cross-fit repeats', String(o.crossFitRepeats ?? 0)],
    ['Bootstrap', String(o.bootstrap ?? 0)],
  ];
  const stab = Array.isArray(o.stabilityComponents) ? (o.stabilityComponents as Components[]) : [];
  if (stab.length) out.push(['Stability k', stab.map(describeComponents).join(', ')]);
  out.push(['Seed', String(o.seed ?? '—')]);
  if (o.ablation) out.push(['Ablation', 'yes']);
  return out;
}
