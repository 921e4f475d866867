/**
 * The folders are layers and data flows one way through them:
 *   app → lib/server → lib/queue → lib/analysis → lib/models, lib/datasets → lib/pcace
 *   workers → lib/queue, lib/analysis (and below), lib/db, lib/storage
 * lib/db and lib/storage are infrastructure for the portal, the queue and the
 * workers. A layer may import itself and the layers listed for it; this test
 * reads every import of the source tree (TypeScript's own pre-processor, so
 * comments and strings never count) and fails on any other.
 *
 * Code that runs in the browser is held apart: a client component ('use
 * client') may take from lib/server only lib/server/shared (declarations, no
 * database, no Node), and nothing the browser bundle reaches through value
 * imports may load a Node built-in or a server-only layer. In app/, imports
 * outside the file's own folder use the '@/' alias, never '../' chains.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const BELOW_ANALYSIS = ['lib/models', 'lib/datasets', 'lib/pcace'];
const INFRA = ['lib/db', 'lib/storage'];

/** Area → areas it may import (besides itself). */
export const ALLOWED: Record<string, string[]> = {
  'lib/pcace': [],
  'lib/datasets': ['lib/pcace'],
  'lib/models': ['lib/pcace', 'lib/datasets'],
  'lib/analysis': BELOW_ANALYSIS,
  'lib/db': [],
  // The PostgreSQL store connects where lib/db/url.ts says the database is.
  'lib/storage': ['lib/db'],
  'lib/queue': ['lib/analysis', ...BELOW_ANALYSIS, ...INFRA],
  'lib/server': ['lib/queue', 'lib/analysis', ...BELOW_ANALYSIS, ...INFRA],
  'lib/cli': ['lib/analysis', ...BELOW_ANALYSIS],
  workers: ['lib/queue', 'lib/analysis', ...BELOW_ANALYSIS, ...INFRA],
  app: ['lib/server'],
  'proxy.ts': ['lib/server'],
};

/** Type-only imports that cross a layer on purpose (the shape of a stored row names a lower layer's type). */
const TYPE_ONLY_ALLOWED: Record<string, string[]> = {
  'lib/storage': ['lib/datasets'],
};

/** Within lib/pcace: pure statistics, so no Node built-ins and no packages at all. */
const PURE = new Set(['lib/pcace']);

/** What client components may import from lib/server: declarations only. */
const SHARED = 'lib/server/shared';
/** What lib/server/shared may refer to besides itself: the pure declarations of lib/analysis and below. */
const SHARED_MAY_IMPORT = ['lib/analysis', 'lib/datasets', 'lib/pcace'];
/** Areas that must never reach the browser bundle (lib/server apart from lib/server/shared). */
const SERVER_ONLY = new Set(['lib/server', 'lib/db', 'lib/storage', 'lib/queue', 'lib/models', 'lib/cli', 'workers']);

const isShared = (abs: string) => {
  const rel = path.relative(ROOT, abs).split(path.sep).join('/');
  return rel === SHARED || rel.startsWith(`${SHARED}/`);
};
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);
const rel = (abs: string) => path.relative(ROOT, abs);

/** The directive prologue of a module ('use client', 'use server'). */
export function directivesOf(source: string): Set<string> {
  const sf = ts.createSourceFile('x.tsx', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
  const out = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isExpressionStatement(st) || !ts.isStringLiteral(st.expression)) break;
    out.add(st.expression.text);
  }
  return out;
}

function areaOf(abs: string): string | null {
  const rel = path.relative(ROOT, abs).split(path.sep);
  if (rel[0] === 'lib' && rel.length > 1) return `lib/${rel[1]}`;
  if (rel[0] === 'app' || rel[0] === 'workers') return rel[0];
  if (rel.length === 1 && /^proxy\.(ts|js)$/.test(rel[0])) return 'proxy.ts';
  return null;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    if (e === 'node_modules' || e === 'generated' || e.startsWith('.')) continue;
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

interface Import {
  spec: string;
  typeOnly: boolean;
}

/** Every import/export-from/dynamic import/require of a file, marking `import type`. */
export function importsOf(source: string): Import[] {
  const info = ts.preProcessFile(source, true, true);
  const typeOnly = new Set<string>();
  const sf = ts.createSourceFile('x.ts', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && st.importClause?.isTypeOnly && ts.isStringLiteral(st.moduleSpecifier)) typeOnly.add(st.moduleSpecifier.text);
    if (ts.isExportDeclaration(st) && st.isTypeOnly && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) typeOnly.add(st.moduleSpecifier.text);
  }
  // A specifier also imported for values is not type-only.
  const valueSpecs = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly && ts.isStringLiteral(st.moduleSpecifier)) valueSpecs.add(st.moduleSpecifier.text);
  }
  return info.importedFiles.map((f) => ({ spec: f.fileName, typeOnly: typeOnly.has(f.fileName) && !valueSpecs.has(f.fileName) }));
}

function resolveSpec(file: string, spec: string): string | null {
  if (spec.startsWith('.')) return path.resolve(path.dirname(file), spec);
  if (spec.startsWith('@/')) return path.resolve(ROOT, spec.slice(2));
  return null;
}

/** Violations of the rules in one file's imports, as readable lines. */
export function violations(file: string, source: string): string[] {
  const from = areaOf(file);
  if (!from) return [];
  const out: string[] = [];
  const client = from === 'app' && directivesOf(source).has('use client');
  const shared = isShared(file);
  for (const imp of importsOf(source)) {
    if (from === 'app' && imp.spec.startsWith('../')) out.push(`${rel(file)}: imports '${imp.spec}'; app/ imports outside the file's own folder with '@/'`);
    const target = resolveSpec(file, imp.spec);
    if (!target) {
      if (PURE.has(from)) out.push(`${rel(file)}: imports '${imp.spec}', but ${from} is pure statistics (no built-ins, no packages)`);
      else if (shared) out.push(`${rel(file)}: imports '${imp.spec}', but ${SHARED} holds declarations only (no built-ins, no packages)`);
      continue;
    }
    const to = areaOf(target);
    if (client && to === 'lib/server' && !isShared(target)) {
      out.push(`${rel(file)}: a client component may import from lib/server only ${SHARED} ('${imp.spec}')`);
      continue;
    }
    if (shared && !isShared(target) && !(to && SHARED_MAY_IMPORT.includes(to))) {
      out.push(`${rel(file)}: ${SHARED} may import only itself and ${SHARED_MAY_IMPORT.join(', ')} ('${imp.spec}')`);
      continue;
    }
    if (!to || to === from) continue;
    if (ALLOWED[from]?.includes(to)) continue;
    if (imp.typeOnly && TYPE_ONLY_ALLOWED[from]?.includes(to)) continue;
    out.push(`${path.relative(ROOT, file)}: ${from} must not import ${to} ('${imp.spec}')`);
  }
  return out;
}

/** The file an import names: as written, or with a source extension, or its folder's index. */
function resolveFile(target: string, exists: (p: string) => boolean): string | null {
  for (const p of [target, ...['.ts', '.tsx', '.mts', '.mjs', '.js'].map((e) => target + e), ...['index.ts', 'index.tsx'].map((e) => path.join(target, e))]) {
    if (exists(p)) return p;
  }
  return null;
}

/**
 * What the browser bundle reaches: from every client component and every
 * lib/server/shared file, along value imports (type imports are erased;
 * 'use server' modules are sent as references, not code). None of it may load
 * a Node built-in or a server-only layer.
 */
export function clientViolations(sources: Map<string, string>): string[] {
  const out: string[] = [];
  const exists = (p: string) => sources.has(p);
  const roots = [...sources.keys()].filter((f) => (areaOf(f) === 'app' && directivesOf(sources.get(f)!).has('use client')) || isShared(f));
  const reachedFrom = new Map<string, string>(roots.map((r) => [r, r]));
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop()!;
    const root = reachedFrom.get(file)!;
    const via = file === root ? '' : ` (reached from ${rel(root)})`;
    for (const imp of importsOf(sources.get(file)!)) {
      if (imp.typeOnly) continue;
      const target = resolveSpec(file, imp.spec);
      if (!target) {
        if (isBuiltin(imp.spec)) out.push(`${rel(file)}: runs in the browser${via} but imports the Node built-in '${imp.spec}'`);
        continue;
      }
      const to = areaOf(target);
      if (to && SERVER_ONLY.has(to) && !isShared(target)) {
        out.push(`${rel(file)}: runs in the browser${via} but imports ${to} ('${imp.spec}')`);
        continue;
      }
      const next = resolveFile(target, exists);
      if (!next || reachedFrom.has(next) || directivesOf(sources.get(next)!).has('use server')) continue;
      reachedFrom.set(next, root);
      queue.push(next);
    }
  }
  return out;
}

describe('dependency rules', () => {
  const files = [...sourceFiles(path.join(ROOT, 'lib')), ...sourceFiles(path.join(ROOT, 'app')), ...sourceFiles(path.join(ROOT, 'workers'))];
  for (const p of ['proxy.ts']) {
    try {
      statSync(path.join(ROOT, p));
      files.push(path.join(ROOT, p));
    } catch {
      // no proxy file
    }
  }

  it('every import follows the layers', () => {
    const found = files.flatMap((f) => violations(f, readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('nothing the browser runs reaches a Node built-in or server-only code', () => {
    const sources = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
    expect(clientViolations(sources)).toEqual([]);
    // The walk did start: client components exist and lib/server/shared is among what they reach.
    expect([...sources.keys()].filter((f) => directivesOf(sources.get(f)!).has('use client')).length).toBeGreaterThan(10);
    expect(existsSync(path.join(ROOT, SHARED, 'payloads.ts'))).toBe(true);
  });

  it('catches an import against the layers, a pure-statistics import of a built-in, and allows the listed ones', () => {
    const f = (rel: string) => path.join(ROOT, rel);
    expect(violations(f('lib/pcace/x.ts'), "import { readFileSync } from 'node:fs';")).toHaveLength(1);
    expect(violations(f('lib/pcace/x.ts'), "import { db } from '../db/client';")).toHaveLength(1);
    expect(violations(f('workers/x.ts'), "import { db } from '../lib/server/access';")).toHaveLength(1);
    expect(violations(f('lib/queue/x.ts'), "const m = await import('../server/models');")).toHaveLength(1);
    expect(violations(f('app/labs/page.tsx'), "import { db } from '@/lib/db/client';")).toHaveLength(1);
    expect(violations(f('lib/storage/x.ts'), "import { openDataset } from '../datasets/index';")).toHaveLength(1);
    expect(violations(f('lib/storage/x.ts'), "import type { DatasetSpec } from '../datasets/types';")).toEqual([]);
    expect(violations(f('workers/x.ts'), "import { claimTask } from '../lib/queue/layer-tasks';")).toEqual([]);
    expect(violations(f('app/x.tsx'), "import { getLab } from '@/lib/server/labs';")).toEqual([]);
  });

  it('keeps client components to lib/server/shared, shared to declarations, and app/ on the @/ alias', () => {
    const f = (rel: string) => path.join(ROOT, rel);
    const clientAccess = "'use client';\nimport { requireLab } from '@/lib/server/access';";
    expect(violations(f('app/labs/Thing.tsx'), clientAccess)).toEqual([
      "app/labs/Thing.tsx: a client component may import from lib/server only lib/server/shared ('@/lib/server/access')",
    ]);
    // Type-only counts too: the client's view of the server is lib/server/shared.
    expect(violations(f('app/labs/Thing.tsx'), "'use client';\nimport type { LabContext } from '@/lib/server/access';")).toHaveLength(1);
    expect(violations(f('app/labs/Thing.tsx'), "'use client';\nimport type { ThreadView } from '@/lib/server/shared/payloads';")).toEqual([]);
    // A server component may use the access check.
    expect(violations(f('app/labs/page.tsx'), "import { requireLab } from '@/lib/server/access';")).toEqual([]);
    expect(violations(f('lib/server/shared/x.ts'), "import { db } from '../../db/client';")).toHaveLength(1);
    expect(violations(f('lib/server/shared/x.ts'), "import { requireLab } from '../access';")).toHaveLength(1);
    expect(violations(f('lib/server/shared/x.ts'), "import { readFile } from 'node:fs/promises';")).toHaveLength(1);
    expect(violations(f('lib/server/shared/x.ts'), "export * from '../../analysis/defaults';")).toEqual([]);
    expect(violations(f('app/labs/x/page.tsx'), "import { formatDate } from '../../_components/format';")).toHaveLength(1);
    expect(violations(f('app/labs/x/page.tsx'), "import { LabHeader } from './LabNav';")).toEqual([]);

    // Through a helper module: the client component itself imports nothing of the server.
    const src = new Map([
      [f('app/labs/Thing.tsx'), "'use client';\nimport { label } from './label';"],
      [f('app/labs/label.ts'), "import { requireLab } from '@/lib/server/access';\nexport const label = 'x';"],
      [f('lib/server/access.ts'), "import { db } from '../db/client';"],
    ]);
    expect(clientViolations(src)).toEqual(["app/labs/label.ts: runs in the browser (reached from app/labs/Thing.tsx) but imports lib/server ('@/lib/server/access')"]);
    src.set(f('app/labs/label.ts'), "import { readFileSync } from 'node:fs';\nexport const label = 'x';");
    expect(clientViolations(src)).toHaveLength(1);
    // Server actions reach the browser as references, and type imports are erased.
    src.set(f('app/labs/label.ts'), "'use server';\nimport { requireLab } from '@/lib/server/access';\nexport async function label() {}");
    expect(clientViolations(src)).toEqual([]);
    src.set(f('app/labs/label.ts'), "import type { LabContext } from '@/lib/server/access';\nexport const label = 'x';");
    expect(clientViolations(src)).toEqual([]);
  });
});
