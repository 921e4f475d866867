/**
 * What each compare view shows when its URL does not say, and the API address
 * of a view's state. Shared by the pages (server: to preload the data while
 * the scripts load) and the views (client: to fetch it), so both build the
 * very same URL and the browser reuses the preloaded response.
 */
import type { AnalysisInfo } from '@/lib/server/shared/compare';

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

/** The newest analysis with a sibling of the same model, and that sibling. */
export function runPair(c: AnalysisInfo[]): [AnalysisInfo, AnalysisInfo] | null {
  for (const a of c) {
    const b = c.find((x) => x.id !== a.id && x.model.id === a.model.id);
    if (b) return [a, b];
  }
  return null;
}

/** The query with what it lacks filled in from the lab's completed analyses (candidates: newest first). */
export function withDefaults(view: View, q: Query, c: AnalysisInfo[]): Query {
  switch (view) {
    case 'architectures': {
      if ((q.a && q.b) || c.length < 2) return q;
      const a = q.a ?? c[0].id;
      const first = c.find((x) => x.id === a) ?? c[0];
      const b = q.b ?? (c.find((x) => x.model.id !== first.model.id) ?? c.find((x) => x.id !== a)!).id;
      return { ...q, a, b };
    }
    case 'classes': {
      const g = versionGroups(c)[0];
      return q.analyses || !g ? q : { ...q, analyses: g.slice(0, MAX_CLASSES).map((a) => a.id).join(',') };
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
