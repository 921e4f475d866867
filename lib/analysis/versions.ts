/** Versions recorded with every result, so a number can be traced to the code that made it. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

export function softwareVersions(backend: string): Record<string, string> {
  const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const out: Record<string, string> = { 'pcace-lab': own.version, node: process.version, backend };
  for (const pkg of ['onnxruntime-node', '@tensorflow/tfjs']) {
    const v = packageVersion(pkg);
    if (v) out[pkg] = v;
  }
  return out;
}
