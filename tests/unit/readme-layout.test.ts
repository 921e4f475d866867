/**
 * README's layout section against the tree: every folder it lists exists, every
 * file or folder its descriptions name exists (beside the listed folder, or at the
 * root), and every top-level folder of the repository, of lib/ and of tests/ is
 * named, so a folder added or moved without its line fails here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The fenced block under "## Layout", as [folder, description] entries (continuation lines joined). */
function layoutEntries(readme: string): [string, string][] {
  const section = readme.split(/^## Layout$/m)[1];
  if (!section) throw new Error('README.md has no "## Layout" section');
  const block = section.split('```')[1];
  const entries: [string, string][] = [];
  for (const line of block.split('\n')) {
    const m = /^(\S+\/)\s+(.*)$/.exec(line);
    if (m) entries.push([m[1], m[2]]);
    else if (line.trim() && entries.length) entries[entries.length - 1][1] += ` ${line.trim()}`;
  }
  return entries;
}

/** Folders holding tracked files: the top level and the first level below `parent` ('' for the root). */
function trackedFolders(parent: string): string[] {
  const files = execFileSync('git', ['ls-files', '--', parent || '.'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
  const depth = parent ? parent.split('/').length : 0;
  const out = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    if (parts.length > depth + 1 && !parts[depth].startsWith('.')) out.add(parts.slice(0, depth + 1).join('/'));
  }
  return [...out].sort();
}

const entries = layoutEntries(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
const listed = entries.map(([folder]) => folder);
const text = entries.map(([f, d]) => `${f} ${d}`).join('\n');

describe("README's layout section", () => {
  it('lists only folders that exist', () => {
    expect(listed.length).toBeGreaterThan(10);
    for (const folder of listed) expect(existsSync(path.join(ROOT, folder)), folder).toBe(true);
  });

  it('names only files and folders that exist, beside the listed folder or at the root', () => {
    for (const [folder, description] of entries) {
      for (const [name] of description.matchAll(/\b[a-z][\w.-]*(?:\/[\w.-]+)*(?:\.(?:ts|tsx|js|mjs|md)\b|\/(?!\w))/g)) {
        const found = existsSync(path.join(ROOT, folder, name)) || existsSync(path.join(ROOT, name));
        expect(found, `${folder}: ${name}`).toBe(true);
      }
    }
  });

  it('names every top-level folder of the repository', () => {
    for (const folder of trackedFolders('')) expect(text, folder).toContain(`${folder}/`);
  });

  it('has a line for every folder of lib/', () => {
    for (const folder of trackedFolders('lib')) expect(listed, folder).toContain(`${folder}/`);
  });

  it('names every folder of tests/ on the tests/ line', () => {
    const line = entries.find(([f]) => f === 'tests/')?.[1] ?? '';
    for (const folder of trackedFolders('tests')) expect(line.split(/[\s,;]+/), folder).toContain(folder.slice('tests/'.length));
  });
});
