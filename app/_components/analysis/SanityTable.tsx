/**
 * Each layer's sanity checks on the analysis page: does the ranking statistic
 * tell the layer's trained channels from random filters of the same shape and
 * norm (AUC with its 95 % interval, and the verdict), and does the ranking
 * move when the network is randomised (Spearman ρ with its 95 % interval,
 * cascading from the logits down to the layer and the layer on its own)?
 */
import type { StoredLayerView } from '@/lib/server/shared/payloads';

type Sanity = NonNullable<StoredLayerView['sanity']>;

const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const ci = (c: [number, number] | null | undefined) => (c ? ` [${f(c[0])}, ${f(c[1])}]` : '');

function Rho({ check }: { check: Sanity['cascading'] }) {
  if (check.rho === null) return <span className="muted" title={check.note}>— {check.note ? <span className="small">({check.note})</span> : null}</span>;
  return (
    <span className="mono">
      {f(check.rho)}
      {ci(check.rho_ci)}
    </span>
  );
}

export function SanityTable({ layers }: { layers: { name: string; sanity?: StoredLayerView['sanity'] }[] }) {
  const rows = layers.filter((l): l is { name: string; sanity: Sanity } => !!l.sanity);
  if (!rows.length) return null;
  return (
    <section aria-labelledby="pa-sanity-h" className="panel pa-sanity">
      <h2 id="pa-sanity-h">Sanity checks</h2>
      <p className="small muted">
        Random filters: the layer’s filters replaced by random ones of the same shape and norm (earlier layers trained), scored the same way against the same
        target. AUC = chance a trained channel outscores a random filter; when its 95 % interval includes 0.5 the score does not tell this layer’s channels
        from random filters. ρ = Spearman between the trained ranking and the ranking after re-drawing every layer after this one (cascading) or this
        layer alone (independent), over a subset of channels; a ρ near 1 means the ranking ignores what was re-drawn.
      </p>
      <div className="pa-sanity-scroll">
        <table className="small">
          <thead>
            <tr>
              <th scope="col">Layer</th>
              <th scope="col">Trained vs random filters: AUC [95 %]</th>
              <th scope="col">Verdict</th>
              <th scope="col">Cascading ρ [95 %]</th>
              <th scope="col">Independent ρ [95 %]</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ name, sanity: s }) => (
              <tr key={name} data-layer={name} data-verdict={s.random_filters.verdict ?? 'none'}>
                <th scope="row" className="mono">
                  {name}
                </th>
                <td className="mono">
                  {f(s.random_filters.auc)}
                  {ci(s.random_filters.auc_ci)} <span className="muted">({s.random_filters.trained} vs {s.random_filters.count})</span>
                </td>
                <td>{s.random_filters.verdict ?? '—'}</td>
                <td>
                  <Rho check={s.cascading} />
                </td>
                <td>
                  <Rho check={s.independent} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
