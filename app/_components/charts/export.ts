/**
 * Client-side exports of charts and their data. Charts draw with inline
 * attributes (no stylesheet classes), so a serialised SVG looks the same
 * outside the page.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Offer `blob` as a download named `filename`. */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has started by the next task; revoking at once can cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A standalone copy of the chart: explicit size from the viewBox, a white
 * background, no interaction-only elements (marked data-export="skip").
 */
export function serializeSvg(svg: SVGSVGElement, heading: string[] = []): { text: string; width: number; height: number } {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const vb = svg.viewBox.baseVal;
  const width = vb && vb.width ? vb.width : svg.clientWidth;
  const plotHeight = vb && vb.height ? vb.height : svg.clientHeight;
  // A heading band above the plot: a file passed around still says what it shows.
  const band = heading.length ? 12 + 17 * heading.length : 0;
  const height = plotHeight + band;
  if (band) {
    const plot = document.createElementNS(SVG_NS, 'g');
    plot.setAttribute('transform', `translate(0,${band})`);
    while (clone.firstChild) plot.appendChild(clone.firstChild);
    clone.appendChild(plot);
    heading.forEach((line, i) => {
      const t = document.createElementNS(SVG_NS, 'text');
      t.setAttribute('x', '8');
      t.setAttribute('y', String(18 + 17 * i));
      t.setAttribute('font-size', i === 0 ? '14' : '11');
      t.setAttribute('font-weight', i === 0 ? '600' : '400');
      t.setAttribute('fill', i === 0 ? '#1d1f23' : '#5c6370');
      t.setAttribute('data-export-heading', '');
      t.textContent = line;
      clone.appendChild(t);
    });
    clone.setAttribute('viewBox', `0 0 ${width} ${height}`);
  }
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.removeAttribute('class');
  clone.removeAttribute('style');
  for (const el of Array.from(clone.querySelectorAll('[data-export="skip"]'))) el.remove();
  for (const el of Array.from(clone.querySelectorAll('[tabindex]'))) el.removeAttribute('tabindex');
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', '#ffffff');
  clone.insertBefore(bg, clone.firstChild);
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
  return { text, width, height };
}

export function exportSvg(svg: SVGSVGElement, filename: string, heading: string[] = []): void {
  download(new Blob([serializeSvg(svg, heading).text], { type: 'image/svg+xml;charset=utf-8' }), filename);
}

/** Rasterise the SVG at `scale`× its viewBox size (2× by default: sharp on slides and high-DPI screens). */
export async function exportPng(svg: SVGSVGElement, filename: string, heading: string[] = [], scale = 2): Promise<void> {
  const { text, width, height } = serializeSvg(svg, heading);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the chart could not be rasterised'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const g = canvas.getContext('2d');
    if (!g) throw new Error('no 2-D canvas in this browser');
    g.scale(scale, scale);
    g.drawImage(img, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('PNG encoding failed');
    download(blob, filename);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export type Cell = string | number | boolean | null | undefined;

function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return String(v);
  // Text that a spreadsheet would run as a formula is kept as text.
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV of `rows`; columns default to the keys of the first row. */
export function toCsv(rows: Record<string, Cell>[], columns?: string[]): string {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const lines = [cols.map((c) => csvCell(c)).join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function exportCsv(rows: Record<string, Cell>[], filename: string, columns?: string[]): void {
  download(new Blob([toCsv(rows, columns)], { type: 'text/csv;charset=utf-8' }), filename);
}

export function exportJson(data: unknown, filename: string): void {
  download(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), filename);
}

/** A file-name-safe version of a title: "conv2 / sorted scores" → "conv2-sorted-scores". */
export function fileSlug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'chart';
}

/** An exported chart's heading: its title, then what it is of and the day it was exported. */
export function exportHeading(title: string, subject: string | null, now = new Date()): string[] {
  return [title, `${subject ? `${subject} · ` : ''}exported ${now.toISOString().slice(0, 10)} from PCACE Lab`];
}
