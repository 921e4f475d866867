/**
 * Dataset registration through POST /api/v1/labs/:lab/datasets: built-in
 * MNIST, a zip of class folders, a regression CSV with its images, a
 * preprocessed .npy — each opened with lib/datasets first; bad sources are
 * refused and leave no file and no row.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { useUploader } from '../helpers/upload';
import { classFiles, corruptPng, patternImage } from '../fixtures/datasets/images';
import { buildZip } from '../fixtures/datasets/zip-writer';
import * as datasets from '../../app/api/v1/labs/[lab]/datasets/route';
import * as dataset from '../../app/api/v1/labs/[lab]/datasets/[datasetId]/route';
import { encodeNpy } from '../../lib/datasets/npy';
import { db } from '../../lib/db/client';
import { materialiseDatasetSpec } from '../../lib/storage/resolve';

const testDb = useTestDatabase();

const owner = useUploader({ name: 'Data', email: 'data@example.org', password: 'dataset-owner' }, () => testDb.current.storageDir);
const { postDataset: post, storedFiles } = owner;

describe('dataset registration', () => {
  it('registers built-in MNIST with its class counts', async () => {
    const res = await post({ json: { name: 'mnist-test', kind: 'mnist', split: 'test' } });
    expect(res.status).toBe(201);
    expect(res.body.dataset).toMatchObject({ kind: 'mnist', spec: { kind: 'mnist', split: 'test' }, classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(res.body.dataset.counts.total).toBe(10000);
    expect(res.body.dataset.counts.perClass['3']).toBe(1010);
  });

  it('stores an uploaded zip of class folders by sha256', async () => {
    const files = await classFiles({ cats: 3, dogs: 2 });
    const zip = buildZip(Object.entries(files).map(([name, data]) => ({ name, data })));
    const res = await post({ form: formOf({ name: 'pets', kind: 'zip', file: [fileBlob(zip), 'pets.zip'] }) });
    expect(res.status).toBe(201);
    const d = res.body.dataset;
    expect(d).toMatchObject({ kind: 'zip', classes: ['cats', 'dogs'], counts: { total: 5, perClass: { cats: 3, dogs: 2 } } });
    expect(d.spec.path).toBe(`datasets/${d.sha256}.zip`);
    expect(storedFiles()).toContain(`datasets/${d.sha256}.zip`);
    const row = await db.dataset.findUniqueOrThrow({ where: { id: d.id } });
    expect((await materialiseDatasetSpec(row.spec as never)).value).toMatchObject({ path: path.join(testDb.current.storageDir, `datasets/${d.sha256}.zip`) });
    const one = await callRoute(dataset.GET as never, '', { token: owner.token, params: { lab: owner.slug, datasetId: d.id } });
    expect(one).toMatchObject({ status: 200, body: { dataset: { id: d.id, name: 'pets' } } });
  });

  it('registers a regression CSV with the images it names', async () => {
    const images = buildZip([
      { name: 'a.png', data: await patternImage(8, 6, 1) },
      { name: 'sub/b.png', data: await patternImage(8, 6, 2) },
      { name: 'c.png', data: await patternImage(8, 6, 3) },
    ]);
    const csv = 'image,target\na.png,0.5\nsub/b.png,1.25\nc.png,-2\n';
    const res = await post({ form: formOf({ name: 'ages', kind: 'csv', file: [fileBlob(csv), 'ages.csv'], images: [fileBlob(images), 'images.zip'] }) });
    expect(res.status).toBe(201);
    expect(res.body.dataset).toMatchObject({ kind: 'csv', classes: [], counts: { total: 3 } });
    const rel = res.body.dataset.spec.imageRoot as string;
    expect(storedFiles()).toEqual(expect.arrayContaining([`${rel}/a.png`, `${rel}/sub/b.png`, res.body.dataset.spec.path]));
  });

  it('registers a preprocessed .npy array', async () => {
    const npy = encodeNpy(new Float32Array(4 * 1 * 28 * 28).fill(0.5), [4, 1, 28, 28]);
    const res = await post({ form: formOf({ name: 'pre', kind: 'npy', file: [fileBlob(npy), 'x.npy'] }) });
    expect(res.status).toBe(201);
    expect(res.body.dataset.counts.total).toBe(4);
  });

  it('lists the lab datasets', async () => {
    const res = await callRoute(datasets.GET as never, '', { token: owner.token, params: { lab: owner.slug } });
    expect(res.body.datasets.map((d: { name: string }) => d.name).sort()).toEqual(['ages', 'mnist-test', 'pets', 'pre']);
  });
});

describe('bad datasets store nothing', () => {
  let before: { files: string[]; rows: number };
  const snapshot = async () => ({ files: storedFiles(), rows: await db.dataset.count() });
  afterEach(async () => {
    expect(await snapshot()).toEqual(before);
  });

  /** A zip holding one small picture named `name`. */
  const oneImageZip = async (name: string) => fileBlob(buildZip([{ name, data: await patternImage(8, 6, 1) }]));
  /** A CSV dataset upload (`csv` as x.csv) whose images zip holds one picture named `image`. */
  const csvUpload = async (csv: string, image: string) => ({ form: formOf({ name: 'x', kind: 'csv', file: [fileBlob(csv), 'x.csv'], images: [await oneImageZip(image), 'i.zip'] }) });

  const cases: [string, () => Promise<{ json?: unknown; form?: FormData }>, number, RegExp][] = [
    ['a duplicate name', async () => ({ json: { name: 'pets', kind: 'mnist' } }), 409, /exists already/],
    ['an unknown kind', async () => ({ json: { name: 'x', kind: 'imagenet' } }), 400, /kind must be/],
    ['MNIST with a digit out of range', async () => ({ json: { name: 'x', kind: 'mnist', digit: 12 } }), 400, /digit/],
    ['a folder path without PCACE_DATASET_ROOT', async () => ({ json: { name: 'x', kind: 'folder', path: '/etc' } }), 400, /folder datasets are disabled/],
    ['a file that is not a zip', async () => ({ form: formOf({ name: 'x', kind: 'zip', file: [fileBlob('not a zip at all'), 'x.zip'] }) }), 400, /dataset rejected: zip .*cannot open/],
    [
      'a zip with a path-escaping entry',
      async () => ({ form: formOf({ name: 'x', kind: 'zip', file: [await oneImageZip('../evil/a.png'), 'x.zip'] }) }),
      400,
      /refused: entry "\.\.\/evil\/a\.png" contains a '\.\.' segment/,
    ],
    [
      'a zip whose images are all corrupt',
      async () => ({ form: formOf({ name: 'x', kind: 'zip', file: [fileBlob(buildZip([{ name: 'cats/a.png', data: await corruptPng() }])), 'x.zip'] }) }),
      400,
      /dataset rejected: no usable images/,
    ],
    ['a zip without class folders', async () => ({ form: formOf({ name: 'x', kind: 'zip', file: [await oneImageZip('a.png'), 'x.zip'] }) }), 400, /dataset rejected/],
    ['a CSV with a non-numeric target', () => csvUpload('image,target\na.png,abc\n', 'a.png'), 400, /line 2: target "abc" is not a finite number/],
    ['a CSV without its images', async () => ({ form: formOf({ name: 'x', kind: 'csv', file: [fileBlob('image,target\na.png,1\n'), 'x.csv'] }) }), 400, /needs its images as one zip/],
    ['a CSV images zip with an absolute path', () => csvUpload('image,target\na.png,1\n', '/tmp/a.png'), 400, /is an absolute path/],
    ['an .npy that is not [N, C, H, W]', async () => ({ form: formOf({ name: 'x', kind: 'npy', file: [fileBlob(encodeNpy(new Float32Array(6), [2, 3])), 'x.npy'] }) }), 400, /dataset rejected/],
    ['a wrong file type', async () => ({ form: formOf({ name: 'x', kind: 'zip', file: [fileBlob('x'), 'x.tar'] }) }), 400, /expected a \.zip archive/],
  ];

  for (const [what, body, status, message] of cases) {
    it(`refuses ${what}`, async () => {
      before = await snapshot();
      const res = await post(await body());
      expect(res.status).toBe(status);
      expect(res.body.error).toMatch(message);
    });
  }
});
