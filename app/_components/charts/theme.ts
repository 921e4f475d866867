/**
 * The look every chart shares: font, ink colours, the colour scales and the
 * number formats of tooltips and tables. Charts draw with inline attributes
 * from these values (not stylesheet classes), so an exported SVG or PNG looks
 * like the page.
 */
import * as d3 from 'd3';

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
export const INK = '#1d1f23';
export const MUTED = '#5c6370';
export const GRID = '#e6e8ec';
/** The default series colour (a single histogram, a single line). */
export const ACCENT = '#2453c7';
/** Network / run A and B: blue and orange stay apart for the common colour-vision deficiencies. */
export const SIDE_COLORS = [ACCENT, '#d9730d'] as const;

/** Distance of two colours in CIELAB (CIE76 ΔE): how different they look. */
export const labDistance = (a: string, b: string) => {
  const [x, y] = [d3.lab(a), d3.lab(b)];
  return Math.hypot(x.l - y.l, x.a - y.a, x.b - y.b);
};

// Candidates for colours beyond Tableau 10: every 5° of hue at three chromas and four lightnesses, those a screen shows.
const CANDIDATES = d3.range(0, 360, 5).flatMap((h) => [35, 50, 65, 80].flatMap((l) => [40, 60, 80].map((c) => d3.hcl(h, c, l)))).filter((c) => c.displayable()).map((c) => c.formatHex());
const extended: string[] = [...d3.schemeTableau10];
/** Each candidate's distance to the nearest colour chosen so far (kept up to date as colours are added). */
let nearest: number[] | null = null;

/**
 * Distinct colours: Tableau 10 up to ten series; beyond, each next colour is
 * the candidate farthest in CIELAB from all chosen ones, so every pair stays
 * as far apart as Tableau 10's closest pair (ΔE ≥ 26 up to 20 series;
 * evenly spaced rainbow hues fall to about 20 at 13 series, where
 * neighbouring curves looked alike).
 */
export function palette(n: number): string[] {
  let distances: number[] = nearest ?? CANDIDATES.map((c) => Math.min(...extended.map((p) => labDistance(p, c))));
  while (extended.length < n) {
    const chosen: string = CANDIDATES[d3.maxIndex(distances)];
    extended.push(chosen);
    distances = distances.map((d, i) => Math.min(d, labDistance(chosen, CANDIDATES[i])));
  }
  nearest = distances;
  return extended.slice(0, Math.max(n, 1));
}

/** Colours keyed by name (people, statuses): Tableau 10 in the order the keys are given. */
export function categorical(keys: readonly string[]): (key: string) => string {
  const scale = d3.scaleOrdinal<string, string>(d3.schemeTableau10).domain(keys);
  return (key) => scale(key);
}

/**
 * Colour of a matrix cell: 'diverging' maps −1 … 1 through red–white–blue
 * (correlations), 'sequential' maps 0 … 1 through blues (fractions).
 */
export function cellColor(kind: 'diverging' | 'sequential'): (v: number) => string {
  return kind === 'diverging' ? d3.scaleDiverging(d3.interpolateRdBu).domain([-1, 0, 1]) : d3.scaleSequential(d3.interpolateBlues).domain([0, 1]);
}

/** The values a legend of `cellColor(kind)` shows. */
export const cellLegend = (kind: 'diverging' | 'sequential') => (kind === 'diverging' ? [-1, -0.5, 0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1]);

/** Text on a cell of `cellColor(kind)`: white where the cell is dark enough. */
export const cellInk = (kind: 'diverging' | 'sequential', v: number | null) => (v !== null && (kind === 'diverging' ? Math.abs(v) > 0.55 : v > 0.6) ? '#ffffff' : INK);

// ASCII minus in the numbers people copy out of tooltips and tables (d3's default is U+2212).
const numbers = d3.formatLocale({ decimal: '.', thousands: ',', grouping: [3], currency: ['', ''], minus: '-' });
/** Six significant digits: the exact value of a tooltip or table. */
export const exact = numbers.format('.6~g');
export const fmt3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : numbers.format('.3~f')(v));
export const fmtP = (p: number | null | undefined) => (p === null || p === undefined ? '—' : p < 1e-4 ? numbers.format('.2~e')(p) : numbers.format('.4~f')(p));
export const stars = (p: number | null | undefined) => (p === null || p === undefined ? '' : p < 0.001 ? '***' : p < 0.01 ? '**' : p < 0.05 ? '*' : '');
