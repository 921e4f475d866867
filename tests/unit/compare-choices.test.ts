/**
 * Which comparison opens: the compare views' default pairs (comparable ones
 * first: same target, same statistic) and the analysis table's ticks.
 */
import { describe, expect, it } from 'vitest';
import { compareTicked } from '../../app/_components/analysis/compare-ticks';
import { architecturePair, differences, runPair, withDefaults } from '../../app/_components/compare/defaults';
import type { AnalysisInfo } from '../../lib/server/shared/compare';

function info(id: string, model: string, target: string, scoreField: AnalysisInfo['scoreField'] = 'score_crossfit', version = 1): AnalysisInfo {
  return {
    id,
    title: id,
    status: 'completed',
    model: { id: model, name: model, versionId: `${model}-v${version}`, version, format: 'onnx', layerCount: 2 },
    dataset: { id: 'd', name: 'd' },
    target: {},
    targetLabel: target,
    options: { rankBy: 'crossfit', images: 300, components: 5, flavour: null, seed: 1, permutations: 0, crossFitRepeats: 2, ablation: false },
    scoreField,
    layers: ['conv1'],
    channels: 10,
    createdAt: '2026-12-05T00:00:00Z',
    finishedAt: null,
  };
}

// Newest first, as listCandidates returns them: the two newest explain different classes.
const lab = [info('resnet-c7', 'resnet', 'class 7'), info('vgg-c3', 'vgg', 'class 3'), info('resnet-c3', 'resnet', 'class 3'), info('vgg-c3-pc1', 'vgg', 'class 3', 'score_pc1')];

describe('compare defaults', () => {
  it('architectures open on two models explaining the same class with the same statistic, not on the two newest', () => {
    expect(architecturePair(lab)!.map((a) => a.id)).toEqual(['vgg-c3', 'resnet-c3']);
    expect(withDefaults('architectures', {}, lab)).toEqual({ a: 'vgg-c3', b: 'resnet-c3' });
    // One side given: the other is a comparable analysis of another model.
    expect(withDefaults('architectures', { a: 'resnet-c3' }, lab)).toEqual({ a: 'resnet-c3', b: 'vgg-c3' });
    // Nothing comparable: two different models all the same (the view then says what differs).
    expect(architecturePair([lab[0], lab[3]])!.map((a) => a.id)).toEqual(['resnet-c7', 'vgg-c3-pc1']);
  });

  it('runs open on two runs of one model on one target', () => {
    const runs = [info('r-c7', 'resnet', 'class 7'), info('r-c3-a', 'resnet', 'class 3'), info('r-c3-b', 'resnet', 'class 3')];
    expect(runPair(runs)!.map((a) => a.id)).toEqual(['r-c3-a', 'r-c3-b']);
  });

  it('says what differs between two analyses', () => {
    expect(differences(lab[1], lab[2])).toEqual([]);
    expect(differences(lab[0], lab[3])).toEqual(['their targets differ (class 7 vs class 3)', 'they rank by different statistics (cross-fitted score vs PC1 correlation)']);
  });
});

describe('ticked analyses', () => {
  const row = (id: string, model: string, version: number, target: string, status: 'completed' | 'running' = 'completed') => ({ id, title: id, status, model: { id: model, versionId: `${model}-v${version}`, label: `${model} v${version}` }, target });

  it('open the comparison they make', () => {
    expect(compareTicked('lab', [])).toEqual({ href: null, reason: 'Tick analyses to compare them.' });
    expect(compareTicked('lab', [row('a', 'm', 1, 'class 3')])).toEqual({ href: '/labs/lab/compare/methods?analysis=a', label: 'Compare methods' });
    expect(compareTicked('lab', [row('a', 'm', 1, 'class 3'), row('b', 'm', 2, 'class 3')])).toEqual({ href: '/labs/lab/compare/runs?a=a&b=b', label: 'Compare runs' });
    expect(compareTicked('lab', [row('a', 'm', 1, 'class 3'), row('b', 'm', 1, 'class 5')])).toEqual({ href: '/labs/lab/compare/classes?analyses=a,b', label: 'Compare classes' });
    expect(compareTicked('lab', [row('a', 'm', 1, 'class 3'), row('b', 'n', 1, 'class 3')])).toEqual({ href: '/labs/lab/compare/architectures?a=a&b=b', label: 'Compare architectures' });
    expect(compareTicked('lab', [row('a', 'm', 1, 'class 3'), row('b', 'm', 1, 'class 5'), row('c', 'm', 1, 'class 7')])).toEqual({ href: '/labs/lab/compare/classes?analyses=a,b,c', label: 'Compare classes' });
  });

  it('say why nothing fits', () => {
    expect(compareTicked('lab', [row('a', 'm', 1, 'class 3'), row('b', 'm', 1, 'class 5', 'running')]).href).toBeNull();
    expect(compareTicked('lab', [row('a', 'm', 1, 'class 3'), row('b', 'n', 1, 'class 5'), row('c', 'm', 1, 'class 7')])).toMatchObject({ href: null, reason: expect.stringMatching(/one model version/) });
    expect(compareTicked('lab', [row('a', 'm', 1, 'class 3'), row('b', 'm', 1, 'class 3'), row('c', 'm', 1, 'class 7')])).toMatchObject({ href: null, reason: expect.stringMatching(/same target/) });
  });
});
