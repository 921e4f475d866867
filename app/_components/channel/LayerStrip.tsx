'use client';
/**
 * The layer strip: the chosen image, then the maps of the layer's five
 * best-ranked and five worst-ranked channels on it, each opening its channel
 * page. Requested on first view by members, filled in when the worker is done.
 */
import { useEffect, useRef } from 'react';
import type { ArtifactRow } from '@/lib/server/shared/analysis-types';
import type { ArtifactJson } from '@/lib/server/shared/payloads';
import { ArtifactStatus, SectionHeader } from './ArtifactSection';
import { Legend, Picture } from './Picture';
import { useArtifacts } from './useArtifacts';

const pick = (body: unknown) => [(body as { artifact: ArtifactJson }).artifact];

export function LayerStrip({ url, initial, canRequest, channelHref }: { url: string; initial: ArtifactJson; canRequest: boolean; channelHref: string }) {
  const image = initial.variant;
  const { items, error, busy, request } = useArtifacts(`${url}?image=${encodeURIComponent(image)}`, [initial], pick);
  const strip = items[0];
  const asked = useRef(false);

  useEffect(() => {
    if (asked.current || !canRequest || initial.status !== 'missing') return;
    asked.current = true;
    void request({ image });
  }, [canRequest, initial.status, image, request]);

  const v = strip.values;
  const input = v?.rows.find((r) => !r.group);
  const group = (g: 'top' | 'bottom') => v?.rows.filter((r) => r.group === g) ?? [];
  const map = (row: ArtifactRow) => {
    const p = row.pictures[0];
    return (
      <li key={p.file}>
        <Picture
          src={strip.files[p.file]}
          picture={p}
          alt={`activation map of channel ${row.channel} (rank ${row.rank}) on ${input?.sample?.id ?? 'the image'}`}
          caption={
            <>
              <span className="mono">ch {row.channel}</span> · rank {row.rank}
            </>
          }
          mapSize={v!.mapSize}
          href={`${channelHref}/${row.channel}`}
          size="s"
        />
      </li>
    );
  };

  return (
    <section className="ch-section ch-strip" aria-labelledby="ch-strip" data-kind="strip" data-status={strip.status}>
      <SectionHeader artifact={strip} />
      {error ? (
        <p className="alert error" role="alert">
          {error}
        </p>
      ) : null}
      <ArtifactStatus artifact={strip} canRequest={canRequest} busy={busy} onRequest={() => void request({ image })} what="the strip" />
      {v && input ? (
        <div className="ch-strip-body">
          <div className="ch-strip-input">
            <Picture src={strip.files[input.pictures[0].file]} picture={input.pictures[0]} alt={`input ${input.sample?.id ?? ''}`} caption={input.title} mapSize={v.mapSize} size="m" />
          </div>
          <div className="ch-strip-maps">
            {v.notes.map((n) => (
              <p key={n} className="small muted">
                {n}
              </p>
            ))}
            <Legend map="diverging" lo="−max" hi="+max" label="Each map on its own scale, ± its largest |activation| (values in the tooltips):" />
            <h3>Top {group('top').length} channels</h3>
            <ol className="ch-strip-row">{group('top').map(map)}</ol>
            <h3>Bottom {group('bottom').length} channels</h3>
            <ol className="ch-strip-row">{group('bottom').map(map)}</ol>
          </div>
        </div>
      ) : null}
    </section>
  );
}
