/**
 * Uploading a model in Debian Chromium: a refusal about a JSON field shows at
 * that field (aria-invalid, aria-describedby), not above the form; the model
 * page shows the model card (architecture, input, preprocessing, layers and
 * the card's own fields) and "Analyse this model" opens the new-analysis form
 * with that model chosen. Screenshots go to test-artifacts/.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUpInBrowser, usePortal } from '../helpers/portal';
import { PIPELINE_DIR } from '../helpers/reference';

const portal = usePortal();
const MNIST_CNN = path.join(PIPELINE_DIR, 'mnist_cnn.onnx');
const PRE_28 = { width: 28, height: 28, channels: 1, resize: 'pad', scale: 255, mean: [0.1307], std: [0.3081], channelOrder: 'RGB' };

describe('a model upload and its page', () => {
  let page: Page;
  let slug = '';

  beforeAll(async () => {
    page = await portal.page();
    slug = await signUpInBrowser(page, portal.base, { name: 'Grace Hopper', email: 'grace@example.org', password: 'compiler-nanosecond-wire' });
  });

  /** Fill the upload form with the MNIST CNN and the given JSON fields, and send it. */
  async function upload(name: string, json: { preprocessing?: string; modelCard?: string }) {
    await page.goto(`${portal.base}/labs/${slug}/models/new`);
    await page.getByLabel('Name').fill(name);
    await page.getByLabel(/Model files/).setInputFiles(MNIST_CNN);
    await page.getByLabel(/^Preprocessing/).fill(json.preprocessing ?? '');
    await page.getByLabel(/^Model card/).fill(json.modelCard ?? '');
    await page.getByRole('button', { name: 'Upload' }).click();
  }

  /** The refusal shown under `id`'s field, once the control is marked invalid; none above the form. */
  async function refusalAt(id: string): Promise<string> {
    const control = page.locator(`#${id}`);
    await expect.poll(() => control.getAttribute('aria-invalid'), { timeout: 30_000 }).toBe('true');
    expect(await control.getAttribute('aria-describedby')).toBe(`${id}-err`);
    // The message sits in the same field as the control, and the form has no message at its top.
    expect(await page.locator(`.field:has(#${id}) #${id}-err`).count()).toBe(1);
    expect(await page.locator('form .alert.error').count()).toBe(0);
    expect(page.url()).toMatch(/\/models\/new$/);
    return (await page.locator(`#${id}-err`).textContent()) ?? '';
  }

  it('shows invalid JSON, and JSON the model contradicts, at the field it was typed in', async () => {
    await upload('digits', { preprocessing: '{"width": 28, "height": 28,' });
    expect(await refusalAt('model-pre')).toMatch(/^field 'preprocessing' is not valid JSON \(.+\) \(400\)$/);
    await portal.screenshot(page, 'model-upload-json-refused');

    await upload('digits', { modelCard: '["not", "an object"]' });
    expect(await refusalAt('model-card')).toMatch(/^invalid modelCard: .+\(400\)$/);
    expect(await page.locator('#model-pre').getAttribute('aria-invalid')).toBeNull();

    // Valid JSON the engine's look at the model contradicts: still the preprocessing field's fault.
    await upload('digits', { preprocessing: JSON.stringify({ ...PRE_28, width: 32, height: 32 }) });
    expect(await refusalAt('model-pre')).toMatch(/preprocessing is 32×32 but the model input is 28×28/);

    // A file the engine cannot load is about the upload as a whole: above the form, no field marked.
    await page.goto(`${portal.base}/labs/${slug}/models/new`);
    await page.getByLabel('Name').fill('broken');
    await page.getByLabel(/Model files/).setInputFiles({ name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('form .alert.error').waitFor();
    expect(await page.locator('[aria-invalid="true"]').count()).toBe(0);
    expect(await db.model.count()).toBe(0);
  });

  it('shows the model card and opens the new-analysis form with the model chosen', async () => {
    const card = { architecture: 'conv3x3(1→32) ReLU conv3x3(32→64) ReLU maxpool fc fc', description: 'The PCACE paper’s MNIST CNN', classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] };
    await upload('digits', { preprocessing: JSON.stringify(PRE_28), modelCard: JSON.stringify(card) });
    await page.waitForURL(/\/models\/(?!new$)[a-z0-9]+$/, { timeout: 60_000 });
    const modelPage = page.url();
    const version = await db.modelVersion.findFirstOrThrow({ where: { model: { name: 'digits' } } });

    // A later upload of another model is the newest version: "Analyse this model" must still choose this one.
    const user = await db.user.findUniqueOrThrow({ where: { email: 'grace@example.org' } });
    const authorization = `Bearer ${(await createApiToken(user.id, 'e2e')).token}`;
    const form = new FormData();
    form.append('name', 'newer');
    form.append('file', new Blob([readFileSync(MNIST_CNN)]), 'mnist_cnn.onnx');
    const res = await fetch(`${portal.base}/api/v1/labs/${slug}/models`, { method: 'POST', headers: { authorization }, body: form });
    expect(res.status).toBe(201);
    // The new-analysis form needs a dataset too.
    const ds = await fetch(`${portal.base}/api/v1/labs/${slug}/datasets`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'threes', kind: 'mnist', split: 'test', digit: 3 }),
    });
    expect(ds.status).toBe(201);

    await page.goto(modelPage);
    const dl = page.getByTestId('model-card-1');
    const at = (k: string) => dl.locator(`dd[data-card="${k}"]`).textContent();
    expect(await at('architecture')).toBe(`${card.architecture} · ONNX (${version.backend})`);
    expect(await at('input')).toBe('[1, 28, 28] per image');
    expect(await at('output')).toBe('[10]');
    expect(await at('preprocessing')).toBe('28×28, 1 channel, centred on a zero canvas, pixels ÷ 255, mean [0.1307], std [0.3081], RGB');
    expect(await at('layers')).toBe('2 conv layers, 96 channels (conv1 … conv2)');
    expect(await at('description')).toBe(card.description);
    expect(await at('classes')).toBe('[0,1,2,3,4,5,6,7,8,9]');
    await portal.screenshot(page, 'model-page-card');

    await page.getByRole('link', { name: 'Analyse this model' }).click();
    await page.waitForURL(new RegExp(`/labs/${slug}/analyses/new\\?model=${version.id}$`));
    await expect.poll(() => page.locator('#an-modelVersionId').inputValue()).toBe(version.id);
    await portal.screenshot(page, 'model-analyse-form');

    // The model uploaded without a preprocessing shows the one derived from its input shape.
    const newer = await db.model.findFirstOrThrow({ where: { name: 'newer' } });
    await page.goto(`${portal.base}/labs/${slug}/models/${newer.id}`);
    expect(await page.getByTestId('model-card-1').locator('dd[data-card="preprocessing"]').textContent()).toBe(
      '28×28, 1 channel, stretched, pixels ÷ 255, mean [0], std [1], RGB (none given at upload: derived from the input shape)',
    );
  });
});
