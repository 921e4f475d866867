/** Links between the compare views (server component), and the page-side reading of their query. */
import Link from 'next/link';

export const VIEWS = [
  { key: 'architectures', label: 'Architectures', blurb: 'Two networks on one relative-depth axis: sorted score curves, per-layer distributions, maximum by depth.' },
  { key: 'classes', label: 'Classes', blurb: 'One model and layer, several target classes: class × class Spearman of the channel rankings, with p-values and top-k overlap.' },
  { key: 'runs', label: 'Runs', blurb: 'Two runs of the same model (other images, seed, k, flavour, date): rank against rank per layer, the biggest movers, agreement.' },
  { key: 'methods', label: 'Methods', blurb: 'One analysis and layer: the PCACE score against the ablation drop and the mean activation.' },
] as const;

export type ViewKey = (typeof VIEWS)[number]['key'];

export function CompareNav({ lab, current }: { lab: string; current?: ViewKey }) {
  const base = `/labs/${lab}/compare`;
  return (
    <nav aria-label="Comparisons" className="cmp-nav">
      <Link href={base} aria-current={current ? undefined : 'page'}>
        All comparisons
      </Link>
      {VIEWS.map((v) => (
        <Link key={v.key} href={`${base}/${v.key}`} aria-current={current === v.key ? 'page' : undefined}>
          {v.label}
        </Link>
      ))}
    </nav>
  );
}

/** Next.js search params → the view's initial query (first value of repeated keys). */
export async function initialQuery(searchParams: Promise<Record<string, string | string[] | undefined>> | undefined): Promise<Record<string, string>> {
  const sp = (await searchParams) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sp)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}

/** Where sign-in should come back to: the view with its query. */
export function returnTo(path: string, query: Record<string, string>): string {
  const qs = new URLSearchParams(query).toString();
  return qs ? `${path}?${qs}` : path;
}
