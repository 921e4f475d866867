/**
 * The ordering permutation acepack computes with its Fortran `sort` (Singleton's 1969
 * modification of Hoare's quicksort, CACM algorithm 347).
 *
 * Why not Array.prototype.sort: the running-line smoother slides a window over
 * *positions*, so among tied x values the order decides which observations share a
 * window and hence the fitted values. The algorithm is not stable, and matching
 * acepack on tied data needs the very same permutation, pivot choices included.
 */

/** Scratch for `acepackOrder`; reuse one per fit to avoid allocation. */
export interface SortScratch {
  values: Float64Array;
  index: Int32Array;
}

export function createSortScratch(n: number): SortScratch {
  return { values: new Float64Array(n + 1), index: new Int32Array(n + 1) };
}

/** Segment stack: 2^(depth+1) - 1 elements fit, as the smaller part is always deferred. */
const STACK_DEPTH = 64;
const stackLo = new Int32Array(STACK_DEPTH);
const stackHi = new Int32Array(STACK_DEPTH);

/**
 * Writes into `perm` (length n, 0-based row indices) the order acepack's sort gives
 * for `v`. Non-finite values are the caller's problem (ACE rejects them first).
 */
export function acepackOrder(v: ArrayLike<number>, perm: Int32Array, scratch?: SortScratch): void {
  const n = perm.length;
  const s = scratch && scratch.values.length > n ? scratch : createSortScratch(n);
  // 1-based copies keep the index arithmetic identical to the published algorithm.
  const val = s.values;
  const idx = s.index;
  for (let i = 1; i <= n; i++) {
    val[i] = v[i - 1];
    idx[i] = i;
  }
  sortSegment(val, idx, 1, n);
  for (let i = 0; i < n; i++) perm[i] = idx[i + 1] - 1;
}

function sortSegment(v: Float64Array, a: Int32Array, lo: number, hi: number): void {
  let depth = 0;
  let i = lo;
  let j = hi;
  // Whether the current segment is partitioned even when short: segments that start
  // at `lo` have no smaller element to their left to stop the insertion sort.
  let partition = true;
  for (;;) {
    if (partition) {
      if (i < j) {
        partitionLoop: for (;;) {
          // Median of three into position ij; vt is the pivot value.
          let k = i;
          const ij = (i + j) >> 1;
          let t = a[ij];
          let vt = v[ij];
          if (v[i] > vt) {
            a[ij] = a[i]; a[i] = t; t = a[ij];
            v[ij] = v[i]; v[i] = vt; vt = v[ij];
          }
          let l = j;
          if (v[j] < vt) {
            a[ij] = a[j]; a[j] = t; t = a[ij];
            v[ij] = v[j]; v[j] = vt; vt = v[ij];
            if (v[i] > vt) {
              a[ij] = a[i]; a[i] = t; t = a[ij];
              v[ij] = v[i]; v[i] = vt; vt = v[ij];
            }
          }
          for (;;) {
            do l--; while (v[l] > vt);
            const tt = a[l];
            const vtt = v[l];
            do k++; while (v[k] < vt);
            if (k > l) break;
            a[l] = a[k]; a[k] = tt;
            v[l] = v[k]; v[k] = vtt;
          }
          // Defer the larger part, continue with the smaller one.
          if (l - i > j - k) {
            stackLo[depth] = i; stackHi[depth] = l; depth++;
            i = k;
          } else {
            stackLo[depth] = k; stackHi[depth] = j; depth++;
            j = l;
          }
          if (j - i > 10) continue partitionLoop;
          break;
        }
        if (i === lo) continue; // back to the partition test with partition = true
        partition = false;
        continue;
      }
      // Empty or single segment: pop.
      depth--;
      if (depth < 0) return;
      i = stackLo[depth];
      j = stackHi[depth];
      if (j - i > 10) { partition = true; continue; }
      if (i === lo) { partition = true; continue; }
      partition = false;
      continue;
    }
    // Straight insertion on a short segment whose left neighbour is a sentinel.
    i--;
    for (;;) {
      i++;
      if (i === j) break;
      const t = a[i + 1];
      const vt = v[i + 1];
      if (v[i] <= vt) continue;
      let k = i;
      do {
        a[k + 1] = a[k];
        v[k + 1] = v[k];
        k--;
      } while (vt < v[k]);
      a[k + 1] = t;
      v[k + 1] = vt;
    }
    depth--;
    if (depth < 0) return;
    i = stackLo[depth];
    j = stackHi[depth];
    partition = j - i > 10 || i === lo;
  }
}
