'use client';
/**
 * The channel page's pictures. Opening the page as a member requests the
 * missing ones (workers compute them once and cache them); viewers see what
 * exists. Each section shows its own state and fills in when its worker is done.
 */
import { useEffect, useRef } from 'react';
import { ARTIFACT_LABELS, type ArtifactKind } from '@/lib/server/shared/analysis-types';
import type { ArtifactJson } from '@/lib/server/shared/payloads';
import { ArtifactBody, ArtifactStatus, SectionHeader } from './ArtifactSection';
import { useArtifacts } from './useArtifacts';

const pick = (body: unknown) => (body as { artifacts: ArtifactJson[] }).artifacts;

export function ChannelArtifacts({ url, initial, channel, canRequest }: { url: string; initial: ArtifactJson[]; channel: number; canRequest: boolean }) {
  const { items, error, busy, request } = useArtifacts(url, initial, pick);
  const asked = useRef(false);

  useEffect(() => {
    // Once per page view: failed ones wait for an explicit retry, so a broken model is not hammered.
    if (asked.current || !canRequest) return;
    asked.current = true;
    const missing = initial.filter((a) => a.status === 'missing').map((a) => a.kind);
    if (missing.length) void request({ kinds: missing });
  }, [canRequest, initial, request]);

  const ask = (kind: ArtifactKind) => void request({ kinds: [kind] });
  // Pictures lead with what the channel responds to: its top images first.
  const ordered = [...items].sort((x, y) => ORDER.indexOf(x.kind) - ORDER.indexOf(y.kind));
  return (
    <div className="ch-artifacts">
      <nav aria-label="Pictures" className="row small ch-jump">
        {ordered.map((a) => (
          <a key={a.kind} href={`#ch-${a.kind}`}>
            {ARTIFACT_LABELS[a.kind]}
          </a>
        ))}
      </nav>
      {error ? (
        <p className="alert error" role="alert">
          {error}
        </p>
      ) : null}
      {ordered.map((a) => (
        <section key={a.kind} className="ch-section" aria-labelledby={`ch-${a.kind}`} data-kind={a.kind} data-status={a.status}>
          <SectionHeader artifact={a} />
          <p className="small muted ch-what">{DESCRIPTIONS[a.kind]}</p>
          <ArtifactStatus artifact={a} canRequest={canRequest} busy={busy} onRequest={() => ask(a.kind)} what={ARTIFACT_LABELS[a.kind].toLowerCase()} />
          {a.status === 'completed' ? <ArtifactBody artifact={a} channel={channel} /> : null}
        </section>
      ))}
    </div>
  );
}

const ORDER: ArtifactKind[] = ['top', 'maps', 'gradcam', 'actmax', 'strip'];

/** Words for the channel page's kinds (the strip and groups have pages of their own). */
const DESCRIPTIONS: Partial<Record<ArtifactKind, string>> = {
  maps: "The channel's activation map on the first images of the analysis' sample, beside each input as the model saw it (PCACE paper, Fig. 2–4 and 8). Red: positive, blue: negative.",
  gradcam: 'Where the layer as a whole finds evidence for the analysed output (Grad-CAM; CAM too when the model ends in a global average pool and a linear classifier). The same for every channel of the layer.',
  actmax: 'An input optimised to maximise the mean activation of this channel (PCACE paper, Fig. 7).',
  top: "The images of the analysis' sample on which this channel's mean activation is highest.",
};
