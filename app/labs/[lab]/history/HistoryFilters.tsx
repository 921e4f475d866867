'use client';

/**
 * The history filters: an ordinary GET form (works without JavaScript, every
 * control labelled and reachable with Tab) whose values live in the URL, so a
 * filtered view can be bookmarked and shared. With JavaScript it navigates
 * client-side, leaving empty fields out of the URL, and marks the page busy.
 */
import { useRouter } from 'next/navigation';
import { useTransition, type FormEvent } from 'react';

export interface FilterValues {
  status?: string;
  model?: string;
  dataset?: string;
  person?: string;
  from?: string;
  to?: string;
  group?: string;
}

type Option = { id: string; name: string };

export function HistoryFilters({
  action,
  values,
  statuses,
  models,
  datasets,
  people,
}: {
  /** The history page's path; the query is built from the form. */
  action: string;
  values: FilterValues;
  statuses: string[];
  models: Option[];
  datasets: Option[];
  people: Option[];
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const active = ['status', 'model', 'dataset', 'person', 'from', 'to'].filter((k) => values[k as keyof FilterValues]).length;

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const q = new URLSearchParams();
    new FormData(e.currentTarget).forEach((v, k) => {
      // Defaults stay out of the URL: the same view always has the same address.
      if (typeof v === 'string' && v !== '' && !(k === 'group' && v === 'status')) q.set(k, v);
    });
    const s = q.toString();
    startTransition(() => router.push(`${action}${s ? `?${s}` : ''}`, { scroll: false }));
  };

  // Remount on navigation so back/forward show the URL's values (uncontrolled fields).
  const key = JSON.stringify(values);
  return (
    <form key={key} method="get" action={action} onSubmit={onSubmit} className="hist-filters panel" aria-busy={pending} aria-label="Filter the history">
      <div className="hist-filter-grid">
        <div className="field">
          <label htmlFor="hf-status">Status</label>
          <select id="hf-status" name="status" defaultValue={values.status ?? ''}>
            <option value="">any status</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="hf-model">Model</label>
          <select id="hf-model" name="model" defaultValue={values.model ?? ''}>
            <option value="">any model</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="hf-dataset">Dataset</label>
          <select id="hf-dataset" name="dataset" defaultValue={values.dataset ?? ''}>
            <option value="">any dataset</option>
            {datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="hf-person">Person</label>
          <select id="hf-person" name="person" defaultValue={values.person ?? ''}>
            <option value="">anyone</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="hf-from">From</label>
          <input id="hf-from" name="from" type="date" defaultValue={values.from ?? ''} />
        </div>
        <div className="field">
          <label htmlFor="hf-to">To</label>
          <input id="hf-to" name="to" type="date" defaultValue={values.to ?? ''} />
        </div>
        <div className="field">
          <label htmlFor="hf-group">Chart by</label>
          <select id="hf-group" name="group" defaultValue={values.group ?? 'status'}>
            <option value="status">status</option>
            <option value="person">person</option>
          </select>
        </div>
        <div className="hist-filter-actions">
          <button type="submit" disabled={pending}>
            {pending ? 'Filtering…' : 'Apply filters'}
          </button>
          {active > 0 ? (
            <a href={action} className="button secondary" onClick={(e) => (e.preventDefault(), startTransition(() => router.push(action, { scroll: false })))}>
              Clear {active} filter{active > 1 ? 's' : ''}
            </a>
          ) : null}
        </div>
      </div>
      <p className="sr-only" role="status" aria-live="polite">
        {pending ? 'Loading the filtered history…' : ''}
      </p>
    </form>
  );
}
