import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { pcace } from '../helpers/cli';
import { REFERENCE_DIR, readCsv } from '../helpers/reference';

const summary = JSON.parse(readFileSync(path.join(REFERENCE_DIR, 'summary.json'), 'utf8')) as { cases: { name: string; rsq: number }[] };
const file = (name: string, part: string) => path.join(REFERENCE_DIR, `${name}_${part}.csv`);

describe('pcace ace', () => {
  for (const name of ['quad_p1', 'mix_p5', 'ties_cat_p2']) {
    it(`prints acepack's numbers for ${name}`, async () => {
      const args = ['ace', '--x', file(name, 'x'), '--y', file(name, 'y'), '--json'];
      if (name === 'ties_cat_p2') args.push('--cat', '0');
      const { code, stdout } = await pcace(args);
      expect(code).toBe(0);
      const out = JSON.parse(stdout) as { rsq: number; tx: number[][]; ty: number[]; iterations: number };
      const ref = summary.cases.find((c) => c.name === name)!;
      expect(Math.abs(out.rsq - ref.rsq)).toBeLessThan(1e-6);
      const tx = readCsv(file(name, 'tx'));
      const ty = readCsv(file(name, 'ty'));
      expect(out.tx.length).toBe(tx.length);
      out.tx.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - tx[i][j])).toBeLessThan(1e-6)));
      out.ty.forEach((v, i) => expect(Math.abs(v - ty[i][0])).toBeLessThan(1e-6));
      expect(out.iterations).toBeGreaterThan(0);
    });
  }

  it('reproduces the Python ace transforms with --flavour pcace-2021', async () => {
    const { code, stdout } = await pcace(['ace', '--x', file('expsin_p2', 'x'), '--y', file('expsin_p2', 'y'), '--flavour', 'pcace-2021', '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { tx: number[][]; ty: number[] };
    const phi = readCsv(file('expsin_p2', 'py_phi'));
    const theta = readCsv(file('expsin_p2', 'py_theta'));
    out.tx.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - phi[i][j])).toBeLessThan(1e-6)));
    out.ty.forEach((v, i) => expect(Math.abs(v - theta[i][0])).toBeLessThan(1e-6));
  });

  it('reports the median seconds per fit with --repeat', async () => {
    const { code, stdout } = await pcace(['ace', '--x', file('quad_p1', 'x'), '--y', file('quad_p1', 'y'), '--json', '--repeat', '5']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { seconds_per_fit: number; repeats: number };
    expect(out.repeats).toBe(5);
    expect(out.seconds_per_fit).toBeGreaterThan(0);
    expect(out.seconds_per_fit).toBeLessThan(1);
  });

  it('exits 2 with a clear message on bad input', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcace-cli-'));
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, '1,2\n3,abc\n');
    const ragged = path.join(dir, 'ragged.csv');
    writeFileSync(ragged, '1,2\n3\n');
    const cases: [string[], RegExp][] = [
      [['ace', '--x', path.join(dir, 'missing.csv'), '--y', file('quad_p1', 'y')], /missing\.csv: no such file/],
      [['ace', '--x', bad, '--y', file('quad_p1', 'y')], /bad\.csv:2: column 2 is not a finite number/],
      [['ace', '--x', ragged, '--y', file('quad_p1', 'y')], /ragged\.csv:2: 1 columns, but the first row has 2/],
      [['ace', '--x', file('quad_p1', 'x'), '--y', file('mix_p5', 'x')], /must have one column/],
      [['ace', '--x', file('quad_p1', 'x'), '--y', file('noise_p1_n300', 'y')], /has 200 rows but .* has 300/],
      [['ace', '--x', file('quad_p1', 'x'), '--y', file('quad_p1', 'y'), '--cat', '3'], /--cat: "3" is not a predictor column/],
      [['ace', '--x', file('quad_p1', 'x'), '--y', file('quad_p1', 'y'), '--flavour', 'R'], /--flavour must be one of/],
      [['ace', '--x', file('quad_p1', 'x')], /both --x and --y are required/],
      [['ace', '--bogus'], /Unknown option/],
      [['nonsense'], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await pcace(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
  });
});
