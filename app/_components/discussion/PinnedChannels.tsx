/**
 * "Pinned channels": a table of pins (PinView[] from listPins / listLabPins),
 * for server pages. Each channel links to its discussion; people who may
 * remove a pin get an Unpin button.
 *
 *   <PinnedChannels lab={slug} pins={await listPins(ctx, a.id)} />
 *   <PinnedChannels lab={slug} pins={await listLabPins(ctx)} showAnalysis />
 */
import Link from 'next/link';
import type { PinView } from '@/lib/server/pins';
import { discussionHref } from './links';
import { exactTime, relativeTime } from './time';
import { UnpinButton } from './UnpinButton';

export interface PinnedChannelsProps {
  lab: string;
  pins: PinView[];
  /** Add a column naming the analysis (lab-wide lists). */
  showAnalysis?: boolean;
  /** Heading text (default "Pinned channels"); its id is `headingId`. */
  title?: string;
  headingId?: string;
  headingLevel?: 2 | 3;
  /** Where a channel links; default: its thread on the analysis' discussion page. */
  channelHref?: (pin: PinView) => string;
}

export function PinnedChannels({ lab, pins, showAnalysis = false, title = 'Pinned channels', headingId = 'pinned-h', headingLevel = 2, channelHref }: PinnedChannelsProps) {
  const Heading = `h${headingLevel}` as 'h2' | 'h3';
  const now = Date.now();
  return (
    <section aria-labelledby={headingId} className="disc-pins">
      <Heading id={headingId}>{title}</Heading>
      {pins.length === 0 ? (
        <p className="empty">No pinned channels yet. Pin a channel from an analysis to keep it here.</p>
      ) : (
        <table className="disc-pin-table">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              {showAnalysis ? <th scope="col">Analysis</th> : null}
              <th scope="col">Note</th>
              <th scope="col">Pinned by</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pins.map((p) => (
              <tr key={p.id} data-pin={p.id}>
                <td className="mono">
                  <Link href={channelHref ? channelHref(p) : discussionHref(lab, p.analysisId, p)}>
                    {p.layer} #{p.channel}
                  </Link>
                </td>
                {showAnalysis ? (
                  <td>
                    <Link href={`/labs/${encodeURIComponent(lab)}/analyses/${encodeURIComponent(p.analysisId)}`}>{p.analysisTitle ?? p.analysisId}</Link>
                  </td>
                ) : null}
                <td className="disc-note">{p.note ?? <span className="muted">—</span>}</td>
                <td className="small">
                  {p.user.name}
                  {p.mine ? <span className="muted"> (you)</span> : null},{' '}
                  <time dateTime={p.createdAt} title={exactTime(p.createdAt)}>
                    {relativeTime(p.createdAt, now)}
                  </time>
                </td>
                <td className="small">{p.canDelete ? <UnpinButton lab={lab} analysisId={p.analysisId} pinId={p.id} label={`Unpin ${p.layer} channel ${p.channel}`} /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
