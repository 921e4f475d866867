/**
 * The queue's layer groups (lib/queue/task-groups.ts): how many tasks a claim
 * takes, and which, so that workers sharing an analysis get groups of about
 * equal estimated cost; and the per-layer costs those come from.
 */
import { describe, expect, it } from 'vitest';
import { chooseGroup, chooseTake, groupSize, type PendingTask } from '../../lib/queue/task-groups';
import { queueConfig } from '../../lib/queue/config';
import { estimateAnalysisCost } from '../../lib/analysis/cost';
import { withDefaults } from '../../lib/analysis/options';

const tasks = (costs: number[]): PendingTask[] => costs.map((cost, i) => ({ id: `t${i}`, layerIndex: i, cost }));
const sum = (g: PendingTask[]) => g.reduce((s, t) => s + t.cost, 0);

describe('group size', () => {
  it('shares the pending tasks among the free workers, at least one', () => {
    expect(groupSize(20, 1)).toBe(20);
    expect(groupSize(20, 2)).toBe(10);
    expect(groupSize(21, 2)).toBe(11);
    expect(groupSize(20, 3)).toBe(7);
    expect(groupSize(20, 1, 1)).toBe(1);
    // Workers not seen (a claim outside a worker) or all busy: the claimer is one.
    expect(groupSize(5, 0)).toBe(5);
    expect(groupSize(5, -3)).toBe(5);
    expect(groupSize(1, 4)).toBe(1);
  });

  it('bounds a group by PCACE_WORKER_MAX_LAYERS when it is a whole number ≥ 1, else not at all', () => {
    const bound = (v: string | undefined) => queueConfig({ ...process.env, PCACE_WORKER_MAX_LAYERS: v }).maxGroupLayers;
    expect(bound('3')).toBe(3);
    expect(bound('2.7')).toBe(2);
    for (const v of [undefined, '', '0', '-1', 'all']) expect(bound(v)).toBeUndefined();
    expect(groupSize(20, 1, bound('3'))).toBe(3);
  });
});

describe('choosing a group', () => {
  it('takes every pending task, in layer order, when the group holds them all', () => {
    const p = tasks([3, 1, 2]).reverse();
    expect(chooseGroup(p, 3).map((t) => t.id)).toEqual(['t0', 't1', 't2']);
  });

  it('splits into groups of balanced cost, interleaving layers, and takes the one with the first layer', () => {
    // Early layers dear, late ones cheap (large maps first): contiguous halves would give 95 vs 15.
    const p = tasks([40, 30, 20, 5, 5, 4, 3, 2, 1]);
    const mine = chooseGroup(p, 5);
    expect(mine[0].id).toBe('t0');
    const rest = p.filter((t) => !mine.includes(t));
    expect(mine.length).toBeLessThanOrEqual(5);
    expect(rest.length).toBeLessThanOrEqual(5);
    expect(Math.abs(sum(mine) - sum(rest))).toBeLessThanOrEqual(10);
    // The layers are interleaved: both groups hold an early (dear) layer.
    expect(rest.some((t) => t.layerIndex < 3)).toBe(true);
    // In layer order.
    expect(mine.map((t) => t.layerIndex)).toEqual([...mine.map((t) => t.layerIndex)].sort((a, b) => a - b));
  });

  it('takes exactly the group size, with the first layer (the lab’s free slots, a claim of one)', () => {
    const p = tasks([5, 9, 5, 1, 5, 7, 5, 5, 2, 5, 5, 5, 3, 5, 5, 5, 5, 5, 5, 5]);
    for (const size of [1, 2, 3, 7, 10, 19]) {
      const mine = chooseGroup(p, size);
      expect(mine, `size ${size}`).toHaveLength(size);
      expect(mine[0].id).toBe('t0');
    }
  });

  it('halves of equal layers alternate', () => {
    expect(chooseGroup(tasks(Array(8).fill(1)), 4).map((t) => t.layerIndex)).toEqual([0, 2, 4, 6]);
  });
});

describe('per-layer cost', () => {
  it("gives each layer the CPU-seconds it adds to a group: the analysis less each task's setup and forward pass", () => {
    const layers = [
      { name: 'a', channels: 64, mapHeight: 56, mapWidth: 56, kernelSize: [3, 3] as [number, number], groups: 1 },
      { name: 'b', channels: 512, mapHeight: 7, mapWidth: 7, kernelSize: [3, 3] as [number, number], groups: 1 },
    ];
    const e = estimateAnalysisCost({ model: { layers, inputShape: [3, 224, 224], format: 'onnx' }, layers: 'all', options: withDefaults({ images: 100 }), threads: 1 });
    expect(e.layerSeconds).toHaveLength(2);
    expect(e.layerSeconds.every((s) => s > 0)).toBe(true);
    expect(e.layerSeconds[0] + e.layerSeconds[1]).toBeCloseTo(e.cpuSeconds - e.breakdown.setup - e.breakdown.forward, 6);
    // Per channel, a 56×56 map (its PCA over 3,136 positions) costs more than a 7×7 one: the
    // layers differ by their own work, not by a flat per-task part.
    const perChannel = e.layerSeconds.map((s, j) => s / layers[j].channels);
    expect(perChannel[0]).toBeGreaterThan(perChannel[1]);
  });
});

describe('work-taking: which unstarted layers a free worker takes', () => {
  it('takes about half the remaining work, from the victim’s last layers, so both groups end together', () => {
    // Eight unstarted layers of 1 s and a started one (counted 0.5 s): 8.5 s left; the taker pays 0.5 s first.
    const plan = chooseTake(tasks([1, 1, 1, 1, 1, 1, 1, 1]), 8.5, 0.5, 0.25);
    expect(plan.take.map((t) => t.layerIndex)).toEqual([4, 5, 6, 7]);
    expect(plan.without).toBe(8.5);
    // The taker ends at 0.5 + 4, the victim at 8.5 − 4.
    expect(plan.with).toBe(4.5);
  });

  it('takes nothing when the taker’s setup and forward pass eat the gain', () => {
    // One unstarted layer of 1 s and 1.5 s left: taking it ends at max(1.2 + 1, 0.5), later than 1.5.
    expect(chooseTake(tasks([1]), 1.5, 1.2, 0.6).take).toEqual([]);
    // A gain below the margin is no take either: 3 s left, 1.6 s overhead, taking one layer ends at max(2.6, 2): 0.4 s gained < 0.8.
    expect(chooseTake(tasks([1, 1]), 3, 1.6, 0.8).take).toEqual([]);
    expect(chooseTake(tasks([1, 1]), 3, 1.6, 0.3).take.map((t) => t.layerIndex)).toEqual([1]);
    // Where a forward pass is expensive (224²: tens of seconds), a take of small layers never pays.
    expect(chooseTake(tasks([2, 2, 2, 2]), 8, 30, 15).take).toEqual([]);
  });

  it('passes over a layer that would end the taker later than the victim', () => {
    // By layer index 6, 1, 1 s; 8 s left. The two last help (ends 7, then 6); the first would end the taker at 8.2.
    const plan = chooseTake(tasks([6, 1, 1]), 8, 0.2, 0.25);
    expect(plan.take.map((t) => t.layerIndex)).toEqual([1, 2]);
    expect(plan.with).toBe(6);
    // A big last layer is taken alone when it is what balances: 1, 1, 5 s with 7 s left ends at max(5.2, 2).
    const big = chooseTake(tasks([1, 1, 5]), 7, 0.2, 0.25);
    expect(big.take.map((t) => t.layerIndex)).toEqual([2]);
    expect(big.with).toBeCloseTo(5.2);
  });
});
