/** PCACE_WEB_PROCESSES (scripts/web-processes.ts): its default, development's one process, and refused values. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { webProcessCount } from '../../scripts/web-processes';

describe('webProcessCount', () => {
  it('defaults to the available cores, at most 4, in production; 1 in development', () => {
    expect(webProcessCount(true, undefined)).toBe(Math.min(availableParallelism(), 4));
    expect(webProcessCount(true, '')).toBe(Math.min(availableParallelism(), 4));
    expect(webProcessCount(false, undefined)).toBe(1);
    expect(webProcessCount(false, '3')).toBe(1);
  });

  it('takes a whole number ≥ 1', () => {
    expect(webProcessCount(true, '1')).toBe(1);
    expect(webProcessCount(true, '6')).toBe(6);
  });

  it.each(['0', '-1', '1.5', 'two', 'Infinity'])('refuses %s', (v) => {
    expect(() => webProcessCount(true, v)).toThrow(/PCACE_WEB_PROCESSES must be a whole number/);
  });
});
