/**
 * What each compare view shows when its URL does not say, and the API address
 * of a view's state. Shared by the pages (server: to preload the data while
 * the scripts load) and the views (client: to fetch it), so both build the
 * very same URL and the browser reuses the preloaded response.
 */
import { SCORE_LABELS, type AnalysisInfo } from '@/lib/server/shared/compare';

export type Query = Record<string, string>;
export type View = 'architectures' | 'classes' | 'runs' | 'methods';

/** Most classes a comparison takes (the API's limit). */
export const MAX_CLASSES = 12;

/** Model versions with at least two completed analyses, most analyses first. */
export function versionGroups(c: AnalysisInfo[]): AnalysisInfo[][] {
  const groups = new Map<string, AnalysisInfo[]>();
  for (const a of c) groups.set(a.model.versionId, [...(groups.get(a.model.versionId) ?? []), a]);
  return [...groups.values()].filter((g) => g.length >= 2).sort((x, y) => y.length - x.length);
}

/**
 * The analyses a class comparison opens on for one model version (newest
 * first): the newest of each class, all ranked by the newest one's
 * statistic, so no class appears twice and no statistics are mixed.
 */
export function classPicks(group: AnalysisInfo[]): AnalysisInfo[] {
  const seen = new Set<string>();
  return group.filter((a) => a.scoreField === group[0].scoreField && !seen.has(a.targetLabel) && seen.add(a.targetLabel)).slice(0, MAX_CLASSES);
}

/** Two analyses can be read side by side when they explain the same target with the same statistic. */
export function comparable(a: AnalysisInfo, b: AnalysisInfo): boolean {
  return a.targetLabel === b.targetLabel && a.scoreField === b.scoreField;
}

/** What differs between two analyses that a comparison of them must say (empty when they are comparable). */
export function differences(a: AnalysisInfo, b: AnalysisInfo): string[] {
  const out: string[] = [];
  if (a.targetLabel !== b.targetLabel) out.push(`their targets differ (${a.targetLabel} vs ${b.targetLabel})`);
  if (a.scoreField !== b.scoreField) out.push(`they rank by different statistics (${SCORE_LABELS[a.scoreField]} vs ${SCORE_LABELS[b.scoreField]})`);
  return out;
}

/**
 * The newest pair (newest first member) that passes `fits`, trying the
 * stricter tests first: a comparable pair of the kind asked, then any pair
 * of that kind.
 */
function newestPair(c: AnalysisInfo[], kind: (a: AnalysisInfo, b: AnalysisInfo) => boolean): [AnalysisInfo, AnalysisInfo] | null {
  for (const fits of [(a: AnalysisInfo, b: AnalysisInfo) => kind(a, b) && comparable(a, b), kind]) {
    for (const a of c) {
      const b = c.find((x) => x.id !== a.id && fits(a, x));
      if (b) return [a, b];
    }
  }
  return null;
}

/** The newest analysis with a sibling of the same model (on the same target with the same statistic when there is one), and that sibling. */
export function runPair(c: AnalysisInfo[]): [AnalysisInfo, AnalysisInfo] | null {
  return newestPair(c, (a, b) => a.model.id === b.model.id);
}

/** Two different models on the same target and statistic, else two different models, else any two. */
export function architecturePair(c: AnalysisInfo[]): [AnalysisInfo, AnalysisInfo] | null {
  return newestPair(c, (a, b) => a.model.id !== b.model.id) ?? newestPair(c, () => true);
}

/** The query with what it lacks filled in from the lab's completed analyses (candidates: newest first). */
export function withDefaults(view: View, q: Query, c: AnalysisInfo[]): Query {
  switch (view) {
    case 'architectures': {
      if ((q.a && q.b) || c.length < 2) return q;
      if (!q.a && !q.b) {
        const pair = architecturePair(c)!;
        return { ...q, a: pair[0].id, b: pair[1].id };
      }
      // One side given: the other is a different model on a comparable analysis when there is one.
      const given = c.find((x) => x.id === (q.a ?? q.b));
      const others = c.filter((x) => x.id !== (q.a ?? q.b));
      const other = given
        ? (others.find((x) => x.model.id !== given.model.id && comparable(given, x)) ?? others.find((x) => comparable(given, x)) ?? others.find((x) => x.model.id !== given.model.id) ?? others[0])
        : others[0];
      return q.a ? { ...q, b: other.id } : { ...q, a: other.id };
    }
    case 'classes': {
      const g = versionGroups(c)[0];
      return q.analyses || !g ? q : { ...q, analyses: classPicks(g).map((a) => a.id).join(',') };
    }
    case 'runs': {
      const pair = runPair(c);
      return (q.a && q.b) || !pair ? q : { ...q, a: pair[0].id, b: pair[1].id };
    }
    case 'methods': {
      const d = c.find((x) => x.options.ablation) ?? c[0];
      return q.analysis || !d ? q : { ...q, analysis: d.id };
    }
  }
}

/** The parameters each view's API takes, in a fixed order. */
const PARAMS: Record<View, { required: string[]; optional: string[] }> = {
  architectures: { required: ['a', 'b'], optional: ['score'] },
  classes: { required: ['analyses'], optional: ['layer', 'k', 'score'] },
  runs: { required: ['a', 'b'], optional: ['k', 'score'] },
  methods: { required: ['analysis'], optional: ['layer', 'score'] },
};

/** The data API address of a view's state; null until the required parameters are there. */
export function viewApiUrl(lab: string, view: View, q: Query): string | null {
  const { required, optional } = PARAMS[view];
  if (!required.every((k) => q[k])) return null;
  if (view === 'classes' && q.analyses.split(',').filter(Boolean).length < 2) return null;
  const params = new URLSearchParams();
  for (const k of [...required, ...optional]) if (q[k]) params.set(k, q[k]);
  return `/api/v1/labs/${encodeURIComponent(lab)}/compare/${view}?${params}`;
}
