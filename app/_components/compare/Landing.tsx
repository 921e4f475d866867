/**
 * The compare landing page's pickers (server component): plain GET forms and
 * links into the four views, so every comparison is reachable without
 * JavaScript or typing a URL.
 */
import Link from 'next/link';
import { architecturePair, runPair } from './defaults';
import type { ReactNode } from 'react';
import type { AnalysisInfo } from '@/lib/server/shared/compare';
import { VIEWS } from './CompareNav';

const label = (a: AnalysisInfo) => `${a.title} — ${a.targetLabel}, ${a.dataset.name}`;

/** Options grouped by model: the grouping the comparisons care about. */
function AnalysisOptions({ candidates }: { candidates: AnalysisInfo[] }) {
  const byModel = new Map<string, AnalysisInfo[]>();
  for (const a of candidates) {
    const key = `${a.model.name} v${a.model.version}`;
    byModel.set(key, [...(byModel.get(key) ?? []), a]);
  }
  return (
    <>
      {[...byModel].map(([model, list]) => (
        <optgroup key={model} label={model}>
          {list.map((a) => (
            <option key={a.id} value={a.id}>
              {label(a)}
            </option>
          ))}
        </optgroup>
      ))}
    </>
  );
}

function Select({ id, name, text, candidates, value }: { id: string; name: string; text: string; candidates: AnalysisInfo[]; value?: string }) {
  return (
    <div className="cmp-field">
      <label htmlFor={id}>{text}</label>
      <select id={id} name={name} defaultValue={value} required>
        <AnalysisOptions candidates={candidates} />
      </select>
    </div>
  );
}

/** One view's box: its title and blurb, then its picker or why it is not available yet. */
function LandingSection({ id, title, blurb, missing, children }: { id: string; title: string; blurb: string; missing: string | null; children: ReactNode }) {
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <p className="small muted">{blurb}</p>
      {missing ? <p className="small">{missing}</p> : children}
    </section>
  );
}

export function CompareLanding({ lab, candidates }: { lab: string; candidates: AnalysisInfo[] }) {
  const base = `/labs/${lab}/compare`;
  const blurb = Object.fromEntries(VIEWS.map((v) => [v.key, v.blurb]));
  const archPair = architecturePair(candidates);
  const versions = new Map<string, AnalysisInfo[]>();
  for (const a of candidates) versions.set(a.model.versionId, [...(versions.get(a.model.versionId) ?? []), a]);
  const classGroups = [...versions.values()].filter((g) => g.length >= 2);
  const runs = runPair(candidates);
  if (candidates.length === 0) {
    return (
      <p className="empty">
        No completed analyses yet: comparisons read finished results. <Link href={`/labs/${lab}`}>Back to the lab</Link>.
      </p>
    );
  }
  return (
    <div className="cmp-landing">
      <LandingSection id="cmp-l-arch" title="Architectures" blurb={blurb.architectures} missing={candidates.length < 2 ? 'Needs two completed analyses.' : null}>
        <form method="get" action={`${base}/architectures`}>
          <Select id="l-arch-a" name="a" text="Network A" candidates={candidates} value={archPair?.[0].id ?? candidates[0].id} />
          <Select id="l-arch-b" name="b" text="Network B" candidates={candidates} value={archPair?.[1].id ?? candidates[0].id} />
          <button type="submit">Compare architectures</button>
        </form>
      </LandingSection>

      <LandingSection id="cmp-l-classes" title="Classes" blurb={blurb.classes} missing={classGroups.length === 0 ? 'Needs two completed analyses of one model version (different target classes).' : null}>
        <ul className="cmp-links">
          {classGroups.map((g) => (
            <li key={g[0].model.versionId}>
              <Link href={`${base}/classes?analyses=${g.slice(0, 12).map((a) => a.id).join(',')}`}>
                {g[0].model.name} v{g[0].model.version}: {g.length} analyses ({[...new Set(g.map((a) => a.targetLabel))].slice(0, 6).join(', ')}
                {g.length > 6 ? ', …' : ''})
              </Link>
            </li>
          ))}
        </ul>
      </LandingSection>

      <LandingSection id="cmp-l-runs" title="Runs" blurb={blurb.runs} missing={!runs ? 'Needs two completed analyses of the same model.' : null}>
        {runs ? (
          <form method="get" action={`${base}/runs`}>
            <Select id="l-runs-a" name="a" text="Run A" candidates={candidates} value={runs[0].id} />
            <Select id="l-runs-b" name="b" text="Run B (same model)" candidates={candidates} value={runs[1].id} />
            <button type="submit">Compare runs</button>
          </form>
        ) : null}
      </LandingSection>

      <LandingSection id="cmp-l-methods" title="Methods" blurb={blurb.methods} missing={null}>
        <form method="get" action={`${base}/methods`}>
          <Select id="l-methods" name="analysis" text="Analysis" candidates={candidates} value={(candidates.find((c) => c.options.ablation) ?? candidates[0]).id} />
          <button type="submit">Compare methods</button>
        </form>
        <p className="small muted">Analyses with ablation: {candidates.filter((c) => c.options.ablation).length} of {candidates.length}.</p>
      </LandingSection>
    </div>
  );
}
