/**
 * The 'group' artifact: group PCACE (lib/pcace/group.ts) of a set of a
 * layer's channels that a person picked. The maps of those channels are
 * captured again on the analysis' own images, with the response read from
 * the same forward passes (as the ranking reads it), and the set is scored
 * with the options of the layer's own top-k groups (importance/groups.ts):
 * the joint cross-fitted maximal correlation beside each member's own score
 * on the same splits, so "do these channels carry more together than the
 * best of them" is read off one artifact.
 */
import type { ConvLayerInfo, ModelEngine } from '../../models/engine';
import type { OpenedDataset, Preprocessing } from '../../datasets/types';
import { groupScore, type GroupScore } from '../../pcace/group';
import { PcaceInputError } from '../../pcace/validate';
import { groupOptions, groupPickProblem, memberComponents } from '../importance/groups';
import { datasetTargets, targetsFromDataset, writeTargets } from '../response';
import type { AnalysisSpec } from '../types';
import { forwardChannels } from './capture';
import type { ArtifactValues, GroupArtifactDetails, GroupMemberScore } from './types';

export interface GroupRequest {
  spec: AnalysisSpec;
  layer: ConvLayerInfo;
  pre: Preprocessing;
  members: number[];
  progress: (fraction: number) => void;
  stop: () => void;
}

export async function groupArtifact(g: GroupRequest, engine: ModelEngine, ds: OpenedDataset): Promise<Pick<ArtifactValues, 'rows' | 'notes' | 'details'>> {
  const n = ds.samples.length;
  const problem = groupPickProblem(g.members, g.layer.channels, n, g.spec);
  if (problem) throw new PcaceInputError(`layer ${g.layer.name}: ${problem}`);
  const members = [...g.members].sort((a, b) => a - b);
  const fromDataset = targetsFromDataset(g.spec);
  const y = fromDataset ? datasetTargets(ds) : new Float64Array(n);
  const maps = await forwardChannels(
    engine,
    (start, count) => ds.loadBatch(start, count, g.pre),
    n,
    g.layer,
    members,
    (done, output, start, count) => {
      if (!fromDataset) writeTargets(y, output, start, count, g.spec);
      g.progress(0.1 + 0.4 * (done / n));
    },
    g.stop,
  );
  // Only the picked channels, as an n × members × positions tensor named by their channel numbers.
  const P = g.layer.mapHeight * g.layer.mapWidth;
  const k = members.length;
  const data = new Float32Array(n * k * P);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) data.set(maps[j].subarray(i * P, (i + 1) * P), (i * k + j) * P);
  const input = { data, n, channels: k, positions: P, index: members };
  const options = groupOptions(g.spec);
  g.stop();
  const group = groupScore(input, members, y, options);
  g.progress(0.7);
  const own: GroupMemberScore[] = [];
  for (const [j, c] of members.entries()) {
    g.stop();
    const s = groupScore(input, [c], y, options);
    own.push({ channel: c, score_crossfit: s.score_crossfit ?? null, score_multiple: s.score_multiple, constant: s.constant.length > 0 });
    g.progress(0.7 + 0.3 * ((j + 1) / k));
  }
  const best = own.reduce<GroupMemberScore | null>((b, m) => (b === null || ownScore(m) > ownScore(b) ? m : b), null);
  const joint = group.score_crossfit ?? null;
  const details: GroupArtifactDetails = {
    channels: members,
    images: n,
    components_per_member: memberComponents(g.spec),
    components: group.components,
    score_crossfit: joint,
    crossfit_mcse: group.crossfit_mcse ?? null,
    crossfit_repeats: group.crossfit_repeats ?? null,
    score_multiple: group.score_multiple,
    rsq: group.rsq,
    members: own,
    best_single: best ? { channel: best.channel, score: ownScore(best) } : null,
    gain: best && joint !== null ? joint - ownScore(best) : null,
    settings: { flavour: options.flavour, crossfit_repeats: options.crossFitRepeats ?? 0, crossfit_cap: Math.max(options.crossFitRepeats ?? 0, options.crossFitCap ?? 0), seed: options.seed ?? 1 },
  };
  return { rows: [], notes: groupNotes(group), details: details as unknown as Record<string, unknown> };
}

/** A member's own score as the group's is read: cross-fitted (in sample only without cross-fit repeats). */
const ownScore = (m: GroupMemberScore) => m.score_crossfit ?? m.score_multiple;

function groupNotes(group: GroupScore): string[] {
  const notes = [...group.warnings];
  if (group.constant.length) {
    notes.push(`channel${group.constant.length > 1 ? 's' : ''} ${group.constant.join(', ')} ${group.constant.length > 1 ? 'are' : 'is'} constant over the images (no components): ${group.constant.length > 1 ? 'they add' : 'it adds'} nothing to the group`);
  }
  return notes;
}
