/**
 * Where a run's spill files go and how much a pass may spill: the part of a
 * run's plan that reads the machine (its memory, the spill disk's free space).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { totalmem } from 'node:os';
import path from 'node:path';
import { checkSpillSpace, freeBytes, spillRoot } from '../models/sandbox/spill';
import type { ForwardPass } from './plan';
import type { RunAnalysisOptions } from './run-analysis';

type SpillOptions = Pick<RunAnalysisOptions, 'spillBytes' | 'spillDir' | 'freeSpace'>;

/**
 * What a pass may spill to spare a forward pass. Of layers that fit the
 * capture budget: what the page cache can hold beside the analysis (the
 * machine's memory less the resident limit, at least the limit), so they are
 * written and read back from memory in a few seconds. In all, counting the
 * layers bigger than the budget (they spill in any pass): half the spill
 * disk's free space, so a pass never fills it. An explicit `spillBytes`
 * bounds both.
 */
export function spillRoom(limit: number, options: SpillOptions): { spillBytes: number; spillDiskBytes: number } {
  if (options.spillBytes !== undefined) return { spillBytes: options.spillBytes, spillDiskBytes: options.spillBytes };
  const root = options.spillDir ?? spillRoot();
  mkdirSync(root, { recursive: true });
  const disk = Math.floor((options.freeSpace ?? freeBytes)(root) / 2);
  return { spillBytes: Math.min(Math.max(limit, totalmem() - limit), disk), spillDiskBytes: disk };
}

/**
 * A fresh folder for the spill files when some slice spills, after checking
 * that its disk holds the largest pass's spilled slices (they coexist until
 * scored): a full disk mid-pass fails late and can fill the disk for others.
 */
export function prepareSpill(passes: ForwardPass[], n: number, options: SpillOptions): string {
  const needed = Math.max(
    0,
    ...passes.map((p) => p.slices.reduce((sum, s) => sum + (s.spill ? 4 * n * (s.end - s.start) * s.layer.mapHeight * s.layer.mapWidth : 0), 0)),
  );
  if (needed === 0) return '';
  const root = options.spillDir ?? spillRoot();
  mkdirSync(root, { recursive: true });
  checkSpillSpace(root, needed, options.freeSpace);
  return mkdtempSync(path.join(root, 'analysis-'));
}
