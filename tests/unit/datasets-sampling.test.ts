import { describe, it, expect } from 'vitest';
import { allocateMix, classSeed, drawChecked } from '../../lib/datasets/sampling';
import { parseCsv } from '../../lib/datasets/csv';
import { unsafeEntryName } from '../../lib/datasets/zip';

describe('allocateMix', () => {
  it('normalises weights and always sums to n (largest remainder)', () => {
    expect(Object.fromEntries(allocateMix({ a: 1, b: 1, c: 1 }, 10))).toEqual({ a: 4, b: 3, c: 3 });
    expect(Object.fromEntries(allocateMix({ a: 0.2, b: 0.8 }, 7))).toEqual({ a: 1, b: 6 }); // 1.4, 5.6
    expect(Object.fromEntries(allocateMix({ x: 3, y: 1 }, 8))).toEqual({ x: 6, y: 2 });
    for (let n = 1; n < 60; n++) {
      const counts = [...allocateMix({ a: 0.13, b: 2, c: 0.7, d: 1e-3 }, n).values()];
      expect(counts.reduce((s, v) => s + v, 0)).toBe(n);
    }
  });

  it('breaks remainder ties by class name, independent of key order', () => {
    expect(Object.fromEntries(allocateMix({ b: 1, a: 1 }, 3))).toEqual({ a: 2, b: 1 });
  });

  it('allows zero weights, refuses nonsense', () => {
    expect(Object.fromEntries(allocateMix({ a: 0, b: 5 }, 4))).toEqual({ a: 0, b: 4 });
    expect(() => allocateMix({}, 4)).toThrow(/no classes/);
    expect(() => allocateMix({ a: 0 }, 4)).toThrow(/sum to 0/);
    expect(() => allocateMix({ a: -1, b: 2 }, 4)).toThrow(/'a'/);
    expect(() => allocateMix({ a: Number.NaN }, 4)).toThrow(/'a'/);
  });
});

describe('drawChecked', () => {
  const pool = Array.from({ length: 50 }, (_, i) => i);
  const ok = async () => null;

  it('is determined by the seed, without replacement, returned in pool order', async () => {
    const a = await drawChecked(pool, 10, 42, ok);
    const b = await drawChecked(pool, 10, 42, ok);
    const c = await drawChecked(pool, 10, 43, ok);
    expect(a.accepted).toEqual(b.accepted);
    expect(a.accepted).not.toEqual(c.accepted);
    expect(new Set(a.accepted).size).toBe(10);
    expect([...a.accepted].sort((x, y) => x - y)).toEqual(a.accepted);
  });

  it('does not depend on how many checks run at once', async () => {
    const bad = async (i: number) => (i % 3 === 0 ? 'bad' : null);
    const serial = await drawChecked(pool, 12, 7, bad, 1);
    const wide = await drawChecked(pool, 12, 7, bad, 64);
    expect(wide).toEqual(serial);
  });

  it('replaces rejected candidates with further draws and reports them', async () => {
    const { accepted, rejected } = await drawChecked(pool, 20, 1, async (i) => (i < 25 ? 'corrupt' : null));
    expect(accepted.every((i) => i >= 25)).toBe(true);
    expect(accepted.length).toBe(20);
    expect(rejected.every((r) => r.index < 25 && r.reason === 'corrupt')).toBe(true);
  });

  it('uses everything when the pool is smaller than the quota', async () => {
    const { accepted } = await drawChecked([5, 3, 9], 10, 1, ok);
    expect(accepted).toEqual([3, 5, 9]);
  });

  it('class seeds differ per class and per seed', () => {
    expect(classSeed(1, 'cat')).not.toBe(classSeed(1, 'dog'));
    expect(classSeed(1, 'cat')).not.toBe(classSeed(2, 'cat'));
    expect(classSeed(1, 'cat')).toBe(classSeed(1, 'cat'));
  });
});

describe('parseCsv', () => {
  it('handles quotes, escaped quotes, embedded delimiters and newlines, CRLF, BOM', () => {
    const text = '\ufeffimage,target\r\n"a,b.png",1\r\n"say ""hi"".png",2\n"multi\nline.png",3\n\nlast.png,4';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['image', 'target'] },
      { line: 2, fields: ['a,b.png', '1'] },
      { line: 3, fields: ['say "hi".png', '2'] },
      { line: 4, fields: ['multi\nline.png', '3'] },
      { line: 7, fields: ['last.png', '4'] },
    ]);
  });

  it('detects semicolon and tab delimiters from the header', () => {
    expect(parseCsv('image;target\nx.png;1,5\n')[1].fields).toEqual(['x.png', '1,5']);
    expect(parseCsv('image\ttarget\nx.png\t2\n')[1].fields).toEqual(['x.png', '2']);
  });

  it('keeps empty fields and rejects an unterminated quote with its line', () => {
    expect(parseCsv('a,b,c\n,,\n')[1].fields).toEqual(['', '', '']);
    expect(() => parseCsv('image,target\nx.png,1\n"open.png,2\n')).toThrow(/line 3/);
  });
});

describe('zip entry names', () => {
  it("refuses '..', absolute paths and drive letters", () => {
    expect(unsafeEntryName('cats/a.png')).toBeNull();
    expect(unsafeEntryName('data/cats/..hidden.png')).toBeNull();
    expect(unsafeEntryName('../evil.png')).toMatch(/'\.\.'/);
    expect(unsafeEntryName('cats/../../evil.png')).toMatch(/'\.\.'/);
    expect(unsafeEntryName('/etc/passwd')).toMatch(/absolute/);
    expect(unsafeEntryName('C:/Windows/evil.png')).toMatch(/drive letter/);
    expect(unsafeEntryName('c:evil.png')).toMatch(/drive letter/);
  });
});
