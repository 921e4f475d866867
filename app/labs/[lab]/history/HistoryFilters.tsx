'use client';

/**
 * The history filters: an ordinary GET form (works without JavaScript, every
 * control labelled and reachable with Tab) whose values live in the URL, so a
 * filtered view can be bookmarked and shared. With JavaScript it navigates
 * client-side, leaving empty fields out of the URL, and marks the page busy.
 */
import { useRouter } from 'next/navigation';
import { useTransition, type FormEvent } from 'react';
import { ChoiceOptions, Field, FilterSelect } from '@/app/_components/Field';

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
        <FilterSelect id="hf-status" name="status" label="Status" value={values.status} any="any status" choices={statuses} />
        <FilterSelect id="hf-model" name="model" label="Model" value={values.model} any="any model" choices={models} />
        <FilterSelect id="hf-dataset" name="dataset" label="Dataset" value={values.dataset} any="any dataset" choices={datasets} />
        <FilterSelect id="hf-person" name="person" label="Person" value={values.person} any="anyone" choices={people} />
        <Field id="hf-from" label="From">
          <input id="hf-from" name="from" type="date" defaultValue={values.from ?? ''} />
        </Field>
        <Field id="hf-to" label="To">
          <input id="hf-to" name="to" type="date" defaultValue={values.to ?? ''} />
        </Field>
        <Field id="hf-group" label="Chart by">
          <select id="hf-group" name="group" defaultValue={values.group ?? 'status'}>
            <ChoiceOptions choices={['status', 'person']} />
          </select>
        </Field>
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
