/**
 * Browser tests run against a production build of the current code; it is
 * built once per run (PCACE_E2E_SKIP_BUILD=1 reuses .next while iterating).
 */
import { nextBuild } from '../../scripts/dev';

export default async function setup(): Promise<void> {
  if (process.env.PCACE_E2E_SKIP_BUILD === '1') return;
  const code = await nextBuild({ ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' });
  if (code !== 0) throw new Error(`next build failed with exit code ${code}`);
}
