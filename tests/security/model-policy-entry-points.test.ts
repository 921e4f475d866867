/**
 * The upload policy through the real entry points: the `pcace` command
 * (exit 2 with the reason) and the portal's upload route (400 with the
 * reason, nothing stored). The crafted model is the README leak: external
 * data read into Pad amounts before a Conv.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pcace, ROOT } from '../helpers/cli';
import { fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { useUploader } from '../helpers/upload';
import { db } from '../../lib/db/client';
import { classifierGraph, encodeModel, leakModel, loopNodes } from './onnx-crafted';

// pcace runs from the repository root, where a relative 'README.md' would resolve.
const README_START = readFileSync(path.join(ROOT, 'README.md'), 'utf8').slice(0, 20);
const EXTERNAL = /external data in Constant node 'x' attribute 'value' is refused: tensor data kept outside the model file makes ONNX Runtime read files on the server/;

const testDb = useTestDatabase();
const tmp = mkdtempSync(path.join(tmpdir(), 'pcace-policy-'));
const evil = path.join(tmp, 'evil.onnx');
writeFileSync(evil, leakModel());

describe('pcace refuses a model with external data', () => {
  it('layers: exit 2, the reason, no map size', async () => {
    const { code, stdout, stderr } = await pcace(['layers', '--model', evil, '--json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(EXTERNAL);
    expect(stderr).toMatch(/^pcace layers: cannot load /);
    expect(stdout).toBe('');
  });

  it('rank: exit 2, the reason, no results file', async () => {
    const out = path.join(tmp, 'results.json');
    const { code, stderr } = await pcace(['rank', '--model', evil, '--data', 'mnist:3', '--class', '0', '--n', '20', '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(EXTERNAL);
    expect(stderr).not.toContain(README_START);
    expect(existsSync(out)).toBe(false);
  });

  it('layers: a Loop model and an oversized input also exit 2 with their reasons', async () => {
    const loop = path.join(tmp, 'loop.onnx');
    writeFileSync(loop, encodeModel(classifierGraph(loopNodes(1e9))));
    const l = await pcace(['layers', '--model', loop]);
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/control-flow op Loop \(Loop node 'spin'\) is not allowed: a model's run time must be bounded by its size/);
    const big = path.join(tmp, 'big.onnx');
    writeFileSync(big, encodeModel(classifierGraph([], 8192)));
    const b = await pcace(['layers', '--model', big]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/input 'x' declares \[\?, 1, 8192, 8192\]: its height 8192 is above the limit of 2048/);
  });
});

describe('the portal refuses it at upload', () => {
  const { uploadModel: upload, storedFiles } = useUploader({ name: 'Policy', email: 'policy@example.org', password: 'policy-uploader' }, () => testDb.current.storageDir);
  afterEach(async () => {
    expect(storedFiles()).toEqual([]);
    expect(await db.model.count()).toBe(0);
    expect(await db.modelVersion.count()).toBe(0);
  });

  it('an ONNX model with external data: 400 naming it', async () => {
    const res = await upload({ name: 'leak', file: [fileBlob(leakModel()), 'leak.onnx'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(EXTERNAL);
    expect(res.body.error).not.toContain(README_START);
  });

  it('a Loop model and an 8192×8192 input: 400 with the reason', async () => {
    const loop = await upload({ name: 'loop', file: [fileBlob(encodeModel(classifierGraph(loopNodes(1e9)))), 'loop.onnx'] });
    expect(loop.status).toBe(400);
    expect(loop.body.error).toMatch(/control-flow op Loop .* is not allowed/);
    const big = await upload({ name: 'big', file: [fileBlob(encodeModel(classifierGraph([], 8192))), 'big.onnx'] });
    expect(big.status).toBe(400);
    expect(big.body.error).toMatch(/input 'x' declares \[\?, 1, 8192, 8192\]: its height 8192 is above the limit of 2048 \(PCACE_MAX_INPUT_SIDE\)/);
  });

  it("a TF.js model whose weight path is '../../README.md': 400", async () => {
    const fix = path.join(ROOT, 'tests/fixtures/tfjs/tiny-cnn');
    const json = JSON.parse(readFileSync(path.join(fix, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../../README.md'];
    const res = await upload({
      name: 'tfjs-escape',
      file: [[fileBlob(JSON.stringify(json)), 'model.json'] as const, [fileBlob(readFileSync(path.join(fix, 'weights.bin'))), 'weights.bin'] as const],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/weight path "\.\.\/\.\.\/README\.md" is refused: weight shards must be plain file names beside model\.json/);
  });
});
