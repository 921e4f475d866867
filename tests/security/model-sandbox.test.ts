/**
 * The model process itself: an empty working directory and an environment
 * without secrets; each cap (one model call, memory) stops the process with a
 * message naming the variable that sets it; ONNX Runtime sessions are held to
 * the thread cap.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopModel } from './hostile-models';
import { ModelLimitExceeded } from '../../lib/models/sandbox/errors';
import { taskLimits, type SandboxLimits } from '../../lib/models/sandbox/limits';
import { runSandboxed } from '../../lib/models/sandbox/process';
import { PcaceInputError } from '../../lib/pcace/validate';

const JOBS = 'tests/security/fixtures/sandbox-probe-job.ts';
const secrets = { DATABASE_URL: 'postgres://secret@db/x', NEXTAUTH_SECRET: 's3cret', AUTH_SECRET: 's3cret', PCACE_TOKEN: 'pcl_x', GITHUB_SECRET: 'g' };
const saved: Record<string, string | undefined> = {};
let dir = '';
const limits = (over: Partial<SandboxLimits>): SandboxLimits => ({ ...taskLimits(), ...over });

beforeAll(() => {
  for (const [k, v] of Object.entries({ ...secrets, PCACE_ALLOW_CONTROL_FLOW: '1' })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  dir = mkdtempSync(path.join(tmpdir(), 'pcace-sandbox-test-'));
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('model process', () => {
  it('starts in an empty folder with an environment holding no secrets', async () => {
    const seen = await runSandboxed<{ env: string[]; cwd: string; cwdEntries: string[]; threads: number }>(
      { module: JOBS, fn: 'environmentJob', args: {} },
      { limits: limits({ threads: 1 }) },
    );
    for (const k of Object.keys(secrets)) expect(seen.env).not.toContain(k);
    expect(seen.env).toContain('PATH');
    expect(seen.env).toContain('PCACE_ALLOW_CONTROL_FLOW');
    expect(seen.cwdEntries).toEqual([]);
    expect(seen.cwd).not.toBe(process.cwd());
    expect(seen.threads).toBe(1);
  }, 60_000);

  it('stops a forward pass at the call cap, naming the variable', async () => {
    const file = path.join(dir, 'loop.onnx');
    writeFileSync(file, loopModel(2e9, 2));
    const t0 = performance.now();
    const run = runSandboxed({ module: 'lib/models/inspect.ts', fn: 'inspectModelJob', args: { format: 'onnx', path: file } }, { limits: limits({ callSeconds: 3, budgetSeconds: 120 }) });
    const err = await run.catch((e: Error) => e);
    expect(err).toBeInstanceOf(ModelLimitExceeded);
    expect(err).toBeInstanceOf(PcaceInputError);
    expect((err as Error).message).toMatch(/a forward pass took longer than 3 s \(PCACE_MODEL_CALL_SECONDS\)/);
    expect((performance.now() - t0) / 1000).toBeLessThan(20);
  }, 60_000);

  it('stops a process above the memory cap, naming the variable', async () => {
    const run = runSandboxed({ module: JOBS, fn: 'allocateJob', args: { mb: 600 } }, { limits: limits({ memoryMb: 300 }) });
    await expect(run).rejects.toThrow(/exceeded its memory cap of 300 MB \(PCACE_MODEL_MEMORY_MB\)/);
  }, 60_000);
});
