/**
 * Which layer tasks of an analysis one claim takes. A worker runs the tasks it
 * claims as one run, with one forward pass for all their layers (as `pcace
 * rank` does), so a group should be as big as possible; but when other
 * workers are free they should share the analysis, each with a group of
 * about equal cost. Pure: the claim (layer-tasks.ts) gathers the counts.
 */

export interface PendingTask {
  id: string;
  layerIndex: number;
  /** Estimated CPU-seconds the layer adds to a group (lib/analysis/cost.ts layerSeconds); only ratios matter. */
  cost: number;
}

/**
 * Tasks one claim takes: the pending tasks shared among the free workers (the
 * claiming one included), never more than `maxTasks`; at least one. (The
 * lab's limit counts workers, so it decides whether a claim happens, not its size.)
 */
export function groupSize(pending: number, freeWorkers: number, maxTasks = Infinity): number {
  const share = Math.ceil(pending / Math.max(1, freeWorkers));
  return Math.max(1, Math.min(pending, share, maxTasks));
}

/**
 * The `size` tasks to take from `pending`: the first in layer order (the
 * claim's fairness order), then, from the costliest down, each task goes to
 * this group or to the rest, whichever is lighter for its share (this group is
 * size/n of the tasks, so it should carry size/n of the cost). The rest is
 * what the next claims will share. Balancing by cost interleaves the layers:
 * each worker gets a share of every depth, instead of one getting the early
 * layers with their large maps. Returned in layer order.
 */
export function chooseGroup(pending: PendingTask[], size: number): PendingTask[] {
  const n = pending.length;
  if (size >= n) return [...pending].sort((a, b) => a.layerIndex - b.layerIndex);
  const first = pending.reduce((a, b) => (b.layerIndex < a.layerIndex ? b : a));
  const group = [first];
  let groupCost = Math.max(0, first.cost);
  let restCost = 0;
  let restCount = 0;
  const byCost = pending.filter((t) => t !== first).sort((a, b) => b.cost - a.cost || a.layerIndex - b.layerIndex);
  for (const t of byCost) {
    const cost = Math.max(0, t.cost);
    const toGroup = group.length < size && (restCount === n - size || groupCost * (n - size) <= restCost * size);
    if (toGroup) {
      group.push(t);
      groupCost += cost;
    } else {
      restCount++;
      restCost += cost;
    }
  }
  return group.sort((a, b) => a.layerIndex - b.layerIndex);
}

/** A layer another worker holds and has not started, with its estimated cost (as PendingTask). */
export type TakeCandidate = PendingTask;

export interface TakePlan {
  /** The layers to take, in layer order (empty: taking would not finish the analysis sooner by the margin). */
  take: TakeCandidate[];
  /** Seconds until the victim's group ends without the take, and until the later of the two groups ends with it. */
  without: number;
  with: number;
}

/**
 * Which of a running group's unstarted layers a free worker should take so both
 * groups end together (work-taking.ts). All in seconds of the taker's measured
 * pace: `remaining` is what the victim still has to do (its started layers and
 * the unstarted ones), `overhead` what the taker pays before its first layer
 * (opening the model and images, one forward pass). From the victim's last
 * layers down (those it would reach last), a layer is taken when it lowers the
 * later of the two ends. Nothing is taken unless that gains at least `margin`
 * seconds: a take costs a second setup and forward pass, and the estimates
 * behind it are approximate, so a take that gains little could lose.
 */
export function chooseTake(candidates: TakeCandidate[], remaining: number, overhead: number, margin: number): TakePlan {
  const take: TakeCandidate[] = [];
  let taken = 0;
  let end = remaining;
  for (const c of [...candidates].sort((a, b) => b.layerIndex - a.layerIndex)) {
    const cost = Math.max(0, c.cost);
    const next = Math.max(overhead + taken + cost, remaining - taken - cost);
    if (next < end) {
      take.push(c);
      taken += cost;
      end = next;
    }
  }
  if (remaining - end < margin) return { take: [], without: remaining, with: remaining };
  return { take: take.sort((a, b) => a.layerIndex - b.layerIndex), without: remaining, with: end };
}
