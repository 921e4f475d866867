/**
 * The series colours stay apart however many series a chart holds: every
 * pair of palette(n) at least as far apart in CIELAB as Tableau 10's closest
 * pair (evenly spaced sinebow hues, the former colours beyond ten, fell to
 * ΔE 20.6 at 13 series).
 */
import * as d3 from 'd3';
import { describe, expect, it } from 'vitest';
import { labDistance, palette } from '../../../app/_components/charts/theme';

const closestPair = (colors: string[]) => d3.min(colors.flatMap((a, i) => colors.slice(i + 1).map((b) => labDistance(a, b)))) ?? Infinity;

describe('palette', () => {
  it('keeps Tableau 10 for up to ten series', () => {
    expect(palette(3)).toEqual(d3.schemeTableau10.slice(0, 3));
    expect(palette(10)).toEqual(d3.schemeTableau10);
  });

  it('keeps every pair at least as distinct as Tableau 10 does, up to 20 series', () => {
    const tableau = closestPair([...d3.schemeTableau10]);
    for (const n of [11, 13, 16, 20]) {
      const colors = palette(n);
      expect(new Set(colors).size).toBe(n);
      expect(closestPair(colors), `${n} series`).toBeGreaterThanOrEqual(tableau - 1e-9);
    }
    // The evenly spaced hues it replaces were much closer at 13 series.
    expect(closestPair(d3.quantize((t) => d3.interpolateSinebow(t * 0.92), 13))).toBeLessThan(tableau - 5);
  });

  it('gives a chart the same colours each time, a longer palette starting with a shorter one', () => {
    expect(palette(20).slice(0, 13)).toEqual(palette(13));
    expect(palette(13)).toEqual(palette(13));
  });
});
