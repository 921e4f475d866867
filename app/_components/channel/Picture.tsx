'use client';
/**
 * One artifact picture with the value under the pointer (the grid stored with
 * the artifact, at the layer's resolution) and a PNG download link. Maps may
 * link elsewhere (the strip's maps open their channel).
 */
import Link from 'next/link';
import { useState, type MouseEvent, type ReactNode } from 'react';
import type { ArtifactPicture } from '@/lib/server/shared/analysis-types';

export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : v.toFixed(a < 1 ? 3 : 2);
}

export function Picture({
  src,
  picture,
  alt,
  caption,
  mapSize,
  href,
  size = 'm',
}: {
  src: string;
  picture: ArtifactPicture;
  alt: string;
  caption?: ReactNode;
  /** The layer's map size, to report the pointer's cell in layer coordinates. */
  mapSize: [number, number];
  href?: string;
  size?: 's' | 'm' | 'l';
}) {
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);
  const grid = picture.grid;

  const onMove = (e: MouseEvent<HTMLDivElement>) => {
    if (!grid) return;
    const r = e.currentTarget.getBoundingClientRect();
    const fx = Math.min(0.9999, Math.max(0, (e.clientX - r.left) / r.width));
    const fy = Math.min(0.9999, Math.max(0, (e.clientY - r.top) / r.height));
    const v = grid.values[Math.floor(fy * grid.height) * grid.width + Math.floor(fx * grid.width)];
    const [h, w] = mapSize;
    const what = picture.role === 'map' ? 'activation' : picture.role === 'gradcam' ? 'Grad-CAM' : picture.role === 'cam' ? 'CAM' : 'value';
    setTip({ x: e.clientX - r.left, y: e.clientY - r.top, text: `${what} ${formatValue(v)} at row ${Math.floor(fy * h)}, col ${Math.floor(fx * w)}` });
  };

  const img = (
    // Served by the API with the session cookie; next/image would proxy and re-encode them.
    <img className="ch-img" src={src} alt={alt} width={picture.width} height={picture.height} draggable={false} data-role={picture.role} />
  );
  return (
    <figure className={`ch-figure ch-${size}`}>
      <div className="ch-pic" onMouseMove={onMove} onMouseLeave={() => setTip(null)}>
        {href ? <Link href={href}>{img}</Link> : img}
        {tip ? (
          <span className="ch-tip" role="status" style={{ left: tip.x, top: tip.y }}>
            {tip.text}
          </span>
        ) : null}
      </div>
      <figcaption className="small">
        <span>{caption}</span>
        <a className="ch-dl" href={`${src}?download=1`} download aria-label={`Download ${alt} as PNG`}>
          PNG
        </a>
      </figcaption>
    </figure>
  );
}

/** Colour legend of a scale: the gradient (classes match the worker's colour tables) with its end values. */
export function Legend({ map, lo, hi, label }: { map: 'diverging' | 'heat'; lo: number | string; hi: number | string; label: string }) {
  const show = (v: number | string) => (typeof v === 'number' ? formatValue(v) : v);
  return (
    <div className="ch-legend small">
      <span>{label}</span>
      <span className="mono">{show(lo)}</span>
      <span className={`ch-ramp ch-ramp-${map}`} aria-hidden="true" />
      <span className="mono">{show(hi)}</span>
    </div>
  );
}
