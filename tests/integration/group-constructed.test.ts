/**
 * The 'group' artifact (lib/analysis/artifacts/group.ts) on the constructed
 * network (tests/fixtures/constructed-network.ts), where the answer is known:
 * the class-0 logit is a function of each layer's wired channel alone, so a
 * group holding it scores what that channel scores (the others add nothing
 * out of sample), a group of dead channels scores nothing and names its
 * constant members, and the artifact's score is groupScore's on the maps the
 * construction computes without the runtime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeArtifact } from '../../lib/analysis/artifacts/compute';
import type { GroupArtifactDetails } from '../../lib/analysis/artifacts/types';
import { groupOptions } from '../../lib/analysis/importance/groups';
import type { AnalysisSpec } from '../../lib/analysis/types';
import { groupScore } from '../../lib/pcace/group';
import { PcaceInputError } from '../../lib/pcace/validate';
import { CONSTRUCTED_MAP, CONSTRUCTED_TRUTH, constructedForward, constructedSpec, writeConstructedFixture, type ConstructedFiles } from '../fixtures/constructed-network';

const N = 200;
let dir = '';
let files: ConstructedFiles;
let spec: AnalysisSpec;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'group-constructed-'));
  files = writeConstructedFixture(dir, N, 6);
  spec = constructedSpec(files, { images: N, crossFitRepeats: 2, crossFitCap: 2, seed: 6 });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function group(layer: string, channels: number[]): Promise<GroupArtifactDetails & { notes: string[] }> {
  const out = await computeArtifact(spec, { kind: 'group', layer, channel: -1, channels }, { threads: 1 });
  expect(out.files).toEqual([]);
  expect(out.values).toMatchObject({ kind: 'group', layer, channel: -1 });
  return { ...(out.values.details as unknown as GroupArtifactDetails), notes: out.values.notes };
}

const own = (d: GroupArtifactDetails, c: number) => d.members.find((m) => m.channel === c)!.score_crossfit!;

describe('group PCACE of picked channels on the constructed network', () => {
  it('a group holding the wired channel scores what it scores alone: input-only members add nothing', async () => {
    const [wired] = CONSTRUCTED_TRUTH.conv1.wired;
    const d = await group('conv1', [2, wired, 1]);
    expect(d.channels).toEqual([0, 1, 2]);
    expect(d.best_single!.channel).toBe(wired);
    expect(own(d, wired)).toBeGreaterThan(0.8);
    for (const c of [1, 2]) expect(Math.abs(own(d, c)), `input-only channel ${c}`).toBeLessThan(0.3);
    // Out of sample, members independent of the logit can only cost the few hundredths that fitting
    // their noise costs (they never add); in sample the set can only gain.
    expect(d.score_crossfit!).toBeGreaterThanOrEqual(own(d, wired) - 0.03);
    expect(d.score_multiple).toBeGreaterThanOrEqual(d.members.find((m) => m.channel === wired)!.score_multiple - 1e-9);
  });

  it('equals groupScore on the maps and logit the construction computes without the runtime', async () => {
    const d = await group('conv1', [0, 1, 2]);
    const { conv1, logits } = constructedForward(files.images, N);
    const y = Float64Array.from({ length: N }, (_, i) => logits[i * 2]);
    const direct = groupScore({ data: conv1, n: N, channels: 12, positions: CONSTRUCTED_MAP[0] * CONSTRUCTED_MAP[1] }, [0, 1, 2], y, groupOptions(spec));
    expect(d.components).toBe(direct.components);
    expect(d.score_crossfit!).toBeCloseTo(direct.score_crossfit!, 3);
    expect(d.score_multiple).toBeCloseTo(direct.score_multiple, 3);
  });

  it('a group of dead channels scores nothing and names its constant members', async () => {
    const { dead, constant } = CONSTRUCTED_TRUTH.conv1;
    const d = await group('conv1', dead);
    expect(d.members.filter((m) => m.constant).map((m) => m.channel)).toEqual(constant);
    expect(d.notes).toContain(`channels ${constant.join(', ')} are constant over the images (no components): they add nothing to the group`);
    // Only the varying dead channels' components reach ACE (4 positions each).
    expect(d.components).toBe(2 * 4);
    expect(Math.abs(d.score_crossfit!)).toBeLessThan(0.3);
  });

  it('a constant member changes nothing: the group scores exactly what its live member does, on the same splits', async () => {
    const d = await group('conv2', [CONSTRUCTED_TRUTH.conv2.wired[0], ...CONSTRUCTED_TRUTH.conv2.constant]);
    expect(d.score_crossfit).toBe(own(d, 0));
    expect(d.gain).toBe(0);
    expect(d.score_crossfit!).toBeGreaterThan(0.8);
  });

  it('refuses picks the layer or the images cannot take', async () => {
    const cases: [number[], RegExp][] = [
      [[0], /at least 2 channels/],
      [[0, 12], /channel 12 is not in this layer \(channels 0–11\)/],
      [[0, 0], /picked twice/],
      // 200 images: 40 predictors, 5 components per member, so at most 8 channels.
      [[0, 1, 2, 3, 4, 5, 6, 7, 8], /at most 8 channels/],
    ];
    for (const [channels, message] of cases) {
      const run = computeArtifact(spec, { kind: 'group', layer: 'conv1', channel: -1, channels });
      await expect(run, JSON.stringify(channels)).rejects.toBeInstanceOf(PcaceInputError);
      await expect(run).rejects.toThrow(message);
    }
  });
});
