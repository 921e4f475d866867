/**
 * The constructed network (tests/fixtures/constructed-network.ts) is what its
 * description says: ONNX Runtime computes the worked-out forward pass, the
 * dead channels are ≤ 0 before the ReLU on every image, and the class-0 logit
 * is a function of conv1's wired channel alone.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OnnxEngine } from '../../lib/models/onnx-engine';
import { CONSTRUCTED_INPUT, CONSTRUCTED_TRUTH, constructedForward, writeConstructedFixture } from '../fixtures/constructed-network';

describe('constructed network', () => {
  it('runs as constructed: layers, logits, dead and constant channels', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'constructed-'));
    try {
      const n = 64;
      const files = writeConstructedFixture(dir, n, 3);
      const engine = await OnnxEngine.fromFile(files.modelPath, { intraOpNumThreads: 1 });
      try {
        expect(engine.input.shape).toEqual(CONSTRUCTED_INPUT);
        const layers = engine.listConvLayers();
        expect(layers.map((l) => [l.name, l.channels, l.mapHeight, l.mapWidth])).toEqual([
          ['conv1', 12, 2, 2],
          ['conv2', 4, 2, 2],
        ]);
        const out = await engine.run(files.images, n, ['conv1']);
        const expected = constructedForward(files.images, n);
        const got = out.activations.get('conv1')!.data;
        let maxDiff = 0;
        for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected.conv1[i]));
        for (let i = 0; i < out.output.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out.output.data[i] - expected.logits[i]));
        expect(maxDiff).toBeLessThan(1e-5);

        const P = 4;
        const channel = (c: number) => Array.from({ length: n * P }, (_, k) => got[(Math.floor(k / P) * 12 + c) * P + (k % P)]);
        for (const c of CONSTRUCTED_TRUTH.conv1.dead) expect(Math.max(...channel(c))).toBeLessThan(0);
        for (const c of CONSTRUCTED_TRUTH.conv1.constant) expect(new Set(channel(c)).size).toBe(1);
        for (const c of [...CONSTRUCTED_TRUTH.conv1.wired, ...CONSTRUCTED_TRUTH.conv1.inputOnly]) {
          expect(Math.max(...channel(c)) - Math.min(...channel(c))).toBeGreaterThan(1);
        }
        // Logit 0 is the mean over positions of ReLU(conv1 channel 0).
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += Math.max(0, got[(i * 12) * P + p]);
          expect(out.output.data[i * 2]).toBeCloseTo(s / P, 5);
        }
      } finally {
        await engine.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
