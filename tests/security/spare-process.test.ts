/**
 * A model process started ahead of a worker's next group (startSpareProcess
 * with the analysis warm-up): it says when it has loaded, and the job it then
 * takes scores on the statistics threads it started while waiting instead of
 * starting its own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { taskLimits } from '../../lib/models/sandbox/limits';
import { runSandboxed, startSpareProcess, stopSpareProcesses } from '../../lib/models/sandbox/process';

const JOBS = 'tests/security/fixtures/sandbox-probe-job.ts';

afterAll(stopSpareProcesses);

describe('model process started ahead', () => {
  it('resolves once loaded, and its job scores on the threads its warm-up started', async () => {
    const limits = { ...taskLimits(), threads: 1 };
    const warm = { module: 'lib/analysis/sandbox-jobs.ts', fn: 'prepareLayerGroup', args: { threads: 1 } };
    await startSpareProcess(limits, [JOBS], warm);
    let pid = -1;
    const seen = await runSandboxed<{ before: number; after: number; channels: number }>(
      { module: JOBS, fn: 'keptThreadsJob', args: {} },
      { limits, warm: true, onStart: (p) => (pid = p) },
    );
    expect(pid).toBeGreaterThan(0);
    expect(seen).toEqual({ before: 1, after: 1, channels: 2 });
    // Without a warm-up the job starts its own thread.
    const cold = await runSandboxed<{ before: number; after: number }>({ module: JOBS, fn: 'keptThreadsJob', args: {} }, { limits });
    expect(cold).toMatchObject({ before: 0, after: 1 });
  }, 120_000);
});
