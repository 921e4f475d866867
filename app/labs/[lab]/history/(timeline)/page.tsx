import type { Metadata } from 'next';
import Link from 'next/link';
import { requireLab, roleAtLeast } from '@/lib/server/access';
import { ApiError } from '@/lib/server/errors';
import { activity, historyFacets, historyQuery, listHistory, MAX_LIMIT, PAGE_SIZE, parseHistoryFilters, STATUSES, type HistoryFilters as Filters } from '@/lib/server/history';
import { listLabPins } from '@/lib/server/pins';
import { PinnedChannels } from '@/app/_components/discussion/PinnedChannels';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { ActivityChart } from '@/app/labs/[lab]/history/ActivityChart';
import { HistoryFilters } from '@/app/labs/[lab]/history/HistoryFilters';
import { Timeline } from '@/app/labs/[lab]/history/Timeline';

export const metadata: Metadata = { title: 'History' };

type Search = Record<string, string | string[] | undefined>;

export default async function HistoryPage({ params, searchParams }: { params: Promise<{ lab: string }>; searchParams?: Promise<Search> }) {
  const { lab: slug } = await params;
  const search = (await searchParams) ?? {};
  const path = `/labs/${slug}/history`;
  const ctx = await requireLab(slug, 'viewer', path);
  const facets = await historyFacets(ctx);

  let filters: Filters;
  try {
    filters = parseHistoryFilters(search);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    // A hand-edited or stale URL: say what is wrong and offer the unfiltered view.
    return (
      <>
        <LabHeader ctx={ctx} title="History" />
        <div className="alert error hist-bad-filter" role="alert">
          <p style={{ margin: 0 }}>These filters cannot be applied: {err.message}.</p>
          <Link href={path}>Show the whole history</Link>
        </div>
      </>
    );
  }

  const [list, act, pins] = await Promise.all([listHistory(ctx, filters), activity(ctx, filters), listLabPins(ctx, { take: 20 })]);
  const values = { status: filters.status, model: filters.model, dataset: filters.dataset, person: filters.person, from: filters.from, to: filters.to, group: filters.group };
  const filtered = Boolean(filters.status || filters.model || filters.dataset || filters.person || filters.from || filters.to);
  const dayHref = `${path}${historyQuery({ ...filters, from: '{day}', to: '{day}', limit: undefined })}`.replaceAll('%7Bday%7D', '{day}');

  return (
    <>
      <LabHeader ctx={ctx} title="History" />
      <HistoryFilters action={path} values={values} statuses={STATUSES} models={facets.models} datasets={facets.datasets} people={facets.people} />

      <section aria-labelledby="activity-h">
        <h2 id="activity-h" className="sr-only">
          Activity
        </h2>
        <ActivityChart activity={act} dayHref={dayHref} />
      </section>

      <section aria-labelledby="timeline-h">
        <div className="spread">
          <h2 id="timeline-h">Timeline</h2>
          <span className="small muted" role="status">
            {list.total === 0 ? '' : `${list.entries.length} of ${list.total} ${list.total === 1 ? 'analysis' : 'analyses'}${filtered ? ' matching the filters' : ''}`}
          </span>
        </div>
        {list.entries.length === 0 ? (
          <p className="empty hist-empty">
            {filtered ? (
              <>
                No analyses match these filters. <Link href={path}>Clear the filters</Link>
              </>
            ) : (
              <>
                No analyses yet.{' '}
                {roleAtLeast(ctx.role, 'member') ? (
                  <>
                    <Link href={`/labs/${slug}/analyses/new`}>Start one</Link> and it will appear here.
                  </>
                ) : null}
              </>
            )}
          </p>
        ) : (
          <Timeline lab={slug} entries={list.entries} />
        )}
        {list.more && filters.limit < MAX_LIMIT ? (
          <p>
            <Link href={`${path}${historyQuery({ ...filters, limit: Math.min(MAX_LIMIT, filters.limit + PAGE_SIZE) })}`} scroll={false}>
              Show more
            </Link>
          </p>
        ) : list.more ? (
          <p className="small muted">The first {MAX_LIMIT} are shown: narrow the dates or filters to see older analyses.</p>
        ) : null}
      </section>

      <PinnedChannels lab={slug} pins={pins} showAnalysis title="Pinned channels" />
    </>
  );
}
