/**
 * Downloads of the compare charts and their data, in the browser. Charts draw
 * with inline attributes only, so the serialised SVG looks like the page;
 * elements marked data-export="skip" (cursor rings) are left out.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function serialize(svg: SVGSVGElement): { text: string; width: number; height: number } {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const vb = svg.viewBox.baseVal;
  const width = vb?.width || svg.clientWidth;
  const height = vb?.height || svg.clientHeight;
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.removeAttribute('class');
  clone.removeAttribute('style');
  clone.removeAttribute('tabindex');
  for (const el of Array.from(clone.querySelectorAll('[data-export="skip"]'))) el.remove();
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', '#ffffff');
  clone.insertBefore(bg, clone.firstChild);
  return { text: `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`, width, height };
}

export function exportSvg(svg: SVGSVGElement, filename: string): void {
  download(new Blob([serialize(svg).text], { type: 'image/svg+xml;charset=utf-8' }), filename);
}

/** PNG at twice the viewBox size: sharp on slides and high-DPI screens. */
export async function exportPng(svg: SVGSVGElement, filename: string, scale = 2): Promise<void> {
  const { text, width, height } = serialize(svg);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    const img = new Image();
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

type Cell = string | number | boolean | null | undefined;

function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return String(v);
  // Text a spreadsheet would run as a formula stays text (titles are user input).
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: Record<string, Cell>[]): string {
  const cols = Object.keys(rows[0] ?? {});
  return [cols.map(csvCell).join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n';
}

export function exportCsv(rows: Record<string, Cell>[], filename: string): void {
  download(new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' }), filename);
}

export function exportJson(data: unknown, filename: string): void {
  download(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), filename);
}

/** "conv2 / ranks" → "conv2-ranks". */
export function fileSlug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'chart'
  );
}
