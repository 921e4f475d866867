/**
 * The folders are layers and data flows one way through them:
 *   app → lib/server → lib/queue → lib/analysis → lib/models, lib/datasets → lib/pcace
 *   workers → lib/queue, lib/analysis (and below), lib/db, lib/storage
 * lib/db and lib/storage are infrastructure for the portal, the queue and the
 * workers. A layer may import itself and the layers listed for it; this test
 * reads every import of the source tree (TypeScript's own pre-processor, so
 * comments and strings never count) and fails on any other.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
  'lib/storage': [],
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
  for (const imp of importsOf(source)) {
    const target = resolveSpec(file, imp.spec);
    if (!target) {
      if (PURE.has(from)) out.push(`${path.relative(ROOT, file)}: imports '${imp.spec}', but ${from} is pure statistics (no built-ins, no packages)`);
      continue;
    }
    const to = areaOf(target);
    if (!to || to === from) continue;
    if (ALLOWED[from]?.includes(to)) continue;
    if (imp.typeOnly && TYPE_ONLY_ALLOWED[from]?.includes(to)) continue;
    out.push(`${path.relative(ROOT, file)}: ${from} must not import ${to} ('${imp.spec}')`);
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
    expect(violations(f('app/x.tsx'), "import { getLab } from '../lib/server/labs';")).toEqual([]);
  });
});
