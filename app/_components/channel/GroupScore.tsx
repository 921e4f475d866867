'use client';
/**
 * Group PCACE on the layer page: a member types a set of the layer's channels
 * ("3, 17, 42") and asks for them to be scored together; a worker captures
 * their maps again and computes the joint cross-fitted maximal correlation
 * with the score, beside each member's own score on the same splits. Shown
 * with the layer's own top-k groups (importance measures) and the groups
 * scored so far, so a pick is read against them.
 */
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import type { GroupArtifactDetails } from '@/lib/server/shared/analysis-types';
import type { ArtifactJson, GroupLimits, StoredLayerGroup } from '@/lib/server/shared/payloads';
import { curveLabel } from '@/app/_components/compare/importance-words';
import { formatNumber } from '@/app/_components/format';
import { ArtifactStatus } from './ArtifactSection';
import { useArtifacts } from './useArtifacts';

const pick = (body: unknown) => [(body as { artifact: ArtifactJson }).artifact];

const missing = (layer: string, variant: string): ArtifactJson => ({
  kind: 'group', layer, channel: -1, variant, status: 'missing', id: null, progress: 0, attempts: 0, error: null, seconds: null, updatedAt: null, files: {}, values: null,
});

export const groupDetails = (a: ArtifactJson) => (a.status === 'completed' && a.values ? (a.values.details as unknown as GroupArtifactDetails) : null);

export function GroupScore({ url, layer, limits, stored, groups, canRequest, channelHref }: {
  url: string;
  layer: string;
  limits: GroupLimits;
  stored: StoredLayerGroup[];
  groups: ArtifactJson[];
  canRequest: boolean;
  channelHref: string;
}) {
  const [text, setText] = useState('');
  const [asked, setAsked] = useState<string | null>(null);
  const tooFew = limits.maxMembers < 2;
  return (
    <section className="ch-section" aria-labelledby="ch-group-h" data-testid="group-section">
      <h2 id="ch-group-h">Group PCACE</h2>
      <p className="small ch-what">
        How well a set of this layer&apos;s channels predicts the score together: each channel reduced to {limits.componentsPerMember} components as for its own score, all of them given to
        ACE at once, read out of sample (cross-fitted). A set that carries more than its best member scores above it; members that add only noise pull the cross-fitted score down. Up to{' '}
        {limits.maxMembers} channels of 0–{limits.channels - 1} ({limits.images} images: ACE takes at most {Math.floor(limits.images / 5)} predictors).
      </p>
      {stored.length ? (
        <p className="small" data-testid="group-stored">
          This layer&apos;s own groups:{' '}
          {stored.map((g, i) => (
            <span key={g.by}>
              {i ? '; ' : ''}the top {g.k} by {curveLabel(g.by)} (channels {g.score.channels.join(', ')}) together <strong>{formatNumber(g.score.score_crossfit)}</strong>, their best alone{' '}
              {formatNumber(g.best_single)}
            </span>
          ))}
          .
        </p>
      ) : null}
      {canRequest && !tooFew ? (
        <form
          className="row"
          data-testid="group-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) setAsked(text.trim());
          }}
        >
          <label>
            Channels{' '}
            <input value={text} onChange={(e) => setText(e.target.value)} placeholder="3, 17, 42" inputMode="numeric" data-testid="group-channels" aria-describedby="ch-group-h" />
          </label>
          <button type="submit">Score these channels together</button>
        </form>
      ) : (
        <p className="small muted">{tooFew ? 'This analysis has too few images for a group of two channels.' : 'Members of the lab can score a set of channels together; the groups scored so far are listed here.'}</p>
      )}
      {asked ? <GroupRequest key={asked} url={url} layer={layer} channels={asked} canRequest={canRequest} channelHref={channelHref} /> : null}
      {groups.length ? (
        <div className="table-wrap">
          <table className="data" data-testid="group-earlier">
            <caption>Groups of this layer scored so far (newest first)</caption>
            <thead>
              <tr>
                <th scope="col">Channels</th>
                <th scope="col" className="num">Together</th>
                <th scope="col" className="num">Best alone</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => {
                const d = groupDetails(g);
                return (
                  <tr key={g.variant}>
                    <td className="mono">{g.variant.split(',').join(', ')}</td>
                    <td className="num">{formatNumber(d?.score_crossfit)}</td>
                    <td className="num">{d?.best_single ? `${formatNumber(d.best_single.score)} (ch ${d.best_single.channel})` : '—'}</td>
                    <td className="small">{g.status === 'failed' ? `failed: ${g.error ?? ''}` : g.status}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** One asked-for group: requested once when shown, then polled until a worker is done. */
function GroupRequest({ url, layer, channels, canRequest, channelHref }: { url: string; layer: string; channels: string; canRequest: boolean; channelHref: string }) {
  const { items, error, busy, request } = useArtifacts(`${url}?channels=${encodeURIComponent(channels)}`, [missing(layer, channels)], pick);
  const asked = useRef(false);
  useEffect(() => {
    if (asked.current) return;
    asked.current = true;
    void request({ channels });
  }, [channels, request]);
  const group = items[0];
  const d = groupDetails(group);
  return (
    <div className="ch-group-result" data-testid="group-result" data-status={group.status} aria-live="polite">
      {error ? (
        <p className="alert error" role="alert" data-testid="group-error">
          {error}
        </p>
      ) : null}
      {!error || group.status !== 'missing' ? (
        <ArtifactStatus artifact={group} canRequest={canRequest} busy={busy || (group.status === 'missing' && !error)} onRequest={() => void request({ channels })} what="the group" />
      ) : null}
      {d ? <GroupResult d={d} notes={group.values?.notes ?? []} channelHref={channelHref} json={group.files['values.json']} /> : null}
    </div>
  );
}

function GroupResult({ d, notes, channelHref, json }: { d: GroupArtifactDetails; notes: string[]; channelHref: string; json?: string }) {
  return (
    <>
      <p data-testid="group-joint">
        Channels {d.channels.join(', ')} together: <strong>{formatNumber(d.score_crossfit)}</strong> cross-fitted
        {d.crossfit_mcse !== null ? ` (± ${formatNumber(d.crossfit_mcse)}, ${d.crossfit_repeats} split${d.crossfit_repeats === 1 ? '' : 's'})` : ''}, {formatNumber(d.score_multiple)} in sample, from {d.components} components.{' '}
        <span data-testid="group-best">
          Best alone: {d.best_single ? `channel ${d.best_single.channel}, ${formatNumber(d.best_single.score)}` : '—'}
          {d.gain !== null ? `; the others add ${d.gain >= 0 ? '+' : '−'}${formatNumber(Math.abs(d.gain))}` : ''}.
        </span>
        {json ? (
          <>
            {' '}
            <a href={`${json}?download=1`} download className="small">
              values (JSON)
            </a>
          </>
        ) : null}
      </p>
      {notes.map((n) => (
        <p key={n} className="small muted ch-note">
          {n}
        </p>
      ))}
      <div className="table-wrap">
        <table className="data" data-testid="group-members">
          <caption>Each member alone, on the same cross-fit splits</caption>
          <thead>
            <tr>
              <th scope="col" className="num">Channel</th>
              <th scope="col" className="num">Cross-fitted</th>
              <th scope="col" className="num">In sample</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {d.members.map((m) => (
              <tr key={m.channel}>
                <td className="num">
                  <Link href={`${channelHref}/${m.channel}`}>{m.channel}</Link>
                </td>
                <td className="num">{formatNumber(m.score_crossfit)}</td>
                <td className="num">{formatNumber(m.score_multiple)}</td>
                <td className="small">{m.constant ? 'constant maps: adds nothing' : m.channel === d.best_single?.channel ? 'best alone' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
