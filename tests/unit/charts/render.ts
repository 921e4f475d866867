/**
 * Static SVG of a chart, for snapshot files: the component rendered on the
 * server (as Next does before hydration), the first <svg> element cut out,
 * one tag per line so a diff points at the changed element.
 */
import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';

export function chartSvg(element: ReactElement): string {
  const html = renderToStaticMarkup(element);
  const start = html.indexOf('<svg');
  const end = html.indexOf('</svg>', start);
  if (start < 0 || end < 0) throw new Error('the component drew no <svg>');
  const svg = html.slice(start, end + '</svg>'.length).replace('<svg', '<svg xmlns="http://www.w3.org/2000/svg"');
  return `${svg.replace(/></g, '>\n<')}\n`;
}

/** Deterministic pseudo-random numbers in [0, 1) (a 32-bit LCG): fixed data without fixture files. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
