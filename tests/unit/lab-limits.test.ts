/** Lab limit defaults come from PCACE_LAB_* (the operator), a lab's own values override them. */
import { describe, expect, it } from 'vitest';
import { defaultMaxRunningTasks } from '../../lib/queue/config';
import { defaultLabLimits, effectiveLimits, limitsUpdateSchema } from '../../lib/server/limits';

describe('lab limits', () => {
  it('default to 2 running tasks, 20 queued analyses, 8 CPU-hours and 5120 MB', () => {
    expect(defaultLabLimits({} as NodeJS.ProcessEnv)).toEqual({ maxRunningTasks: 2, maxQueuedAnalyses: 20, maxCpuHoursPerAnalysis: 8, storageQuotaMb: 5120 });
  });

  it('take the operator’s defaults from the environment, ignoring nonsense', () => {
    const env = { PCACE_LAB_MAX_RUNNING_TASKS: '4.7', PCACE_LAB_MAX_QUEUED_ANALYSES: 'many', PCACE_LAB_MAX_CPU_HOURS: '0.5', PCACE_LAB_STORAGE_MB: '-3' } as unknown as NodeJS.ProcessEnv;
    expect(defaultLabLimits(env)).toEqual({ maxRunningTasks: 4, maxQueuedAnalyses: 20, maxCpuHoursPerAnalysis: 0.5, storageQuotaMb: 5120 });
    // The queue reads the running-task default the same way.
    expect(defaultMaxRunningTasks(env)).toBe(4);
    expect(defaultMaxRunningTasks({} as NodeJS.ProcessEnv)).toBe(2);
  });

  it('use a lab’s own value where it has one', () => {
    expect(effectiveLimits({ maxRunningTasks: 1, maxQueuedAnalyses: null, maxCpuHoursPerAnalysis: 100, storageQuotaMb: null })).toMatchObject({
      maxRunningTasks: 1,
      maxQueuedAnalyses: 20,
      maxCpuHoursPerAnalysis: 100,
    });
  });

  it('accept numbers or null (back to the default) from owners, nothing else', () => {
    expect(limitsUpdateSchema.safeParse({ maxRunningTasks: 3, storageQuotaMb: null }).success).toBe(true);
    for (const bad of [{ maxRunningTasks: 0 }, { maxRunningTasks: 2.5 }, { maxQueuedAnalyses: '5' }, { maxCpuHoursPerAnalysis: 1e9 }, { other: 1 }]) {
      expect(limitsUpdateSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
