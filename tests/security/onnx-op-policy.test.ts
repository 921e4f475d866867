/**
 * The rest of the upload policy: image-classifier ops only (no control flow
 * unless PCACE_ALLOW_CONTROL_FLOW=1, no custom domains), bounded graphs, a cap
 * on the declared or resolved input size (ONNX and TF.js), TF.js weight paths
 * that are plain file names; and every model the project ships still opens.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type onnxProto from 'onnx-proto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initTfBackend } from '../../lib/models/backend';
import { OnnxEngine } from '../../lib/models/onnx-engine';
import { IMAGE_CLASSIFIER_OPS } from '../../lib/models/onnx-policy';
import { openModel } from '../../lib/models/open-model';
import { OnnxTfjsModel } from '../../lib/models/onnx-to-tfjs';
import { createTfjsEngine } from '../../lib/models/tfjs-engine';
import { AttributeType as A, classifierGraph, constantNode, encodeModel, FLOAT, loopNodes, refusal, valueInfo } from './onnx-crafted';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIX = path.join(ROOT, 'tests/fixtures');

const savedEnv = { ...process.env };
afterEach(() => {
  for (const k of ['PCACE_ALLOW_CONTROL_FLOW', 'PCACE_MAX_INPUT_PIXELS', 'PCACE_MAX_INPUT_SIDE']) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

describe('operators', () => {
  const loopModel = () => encodeModel(classifierGraph(loopNodes(1_000_000_000)));

  it('refuses a Loop by default, naming the op and why', async () => {
    await expect(OnnxEngine.fromBytes(loopModel(), {}, 'loop.onnx')).rejects.toThrow(
      "loop.onnx: control-flow op Loop (Loop node 'spin') is not allowed: a model's run time must be bounded by its size (PCACE_ALLOW_CONTROL_FLOW=1 allows it)",
    );
    for (const op of ['If', 'Scan']) {
      const bytes = encodeModel(classifierGraph([{ opType: op, name: 'cf', input: ['c'], output: ['o'] }]));
      expect(refusal(bytes)).toMatch(new RegExp(`control-flow op ${op} .* is not allowed: a model's run time must be bounded by its size`));
    }
  });

  it('PCACE_ALLOW_CONTROL_FLOW=1 lets a Loop model open (ops inside its body still checked)', async () => {
    expect(refusal(encodeModel(classifierGraph(loopNodes(3))), { PCACE_ALLOW_CONTROL_FLOW: '1' })).toBeNull();
    process.env.PCACE_ALLOW_CONTROL_FLOW = '1';
    const engine = await OnnxEngine.fromBytes(encodeModel(classifierGraph(loopNodes(3))));
    expect(engine.listConvLayers().map((l) => l.name)).toEqual(['conv1']);
    await engine.dispose();
    const bodyOp = { opType: 'RandomNormalLike', name: 'noise', input: ['v_in'], output: ['n'] };
    expect(refusal(encodeModel(classifierGraph(loopNodes(3, [bodyOp]))), { PCACE_ALLOW_CONTROL_FLOW: '1' })).toMatch(
      /op RandomNormalLike \(Loop node 'spin' attribute 'body' > RandomNormalLike node 'noise'\) is not in the image-classifier op set/,
    );
  });

  it('refuses an op outside the image-classifier set', async () => {
    const bytes = encodeModel(classifierGraph([{ opType: 'NonMaxSuppression', name: 'nms', input: ['logits'], output: ['sel'] }]));
    await expect(OnnxEngine.fromBytes(bytes, {}, 'odd.onnx')).rejects.toThrow(
      "odd.onnx: op NonMaxSuppression (NonMaxSuppression node 'nms') is not in the image-classifier op set",
    );
    await expect(OnnxTfjsModel.create(bytes)).rejects.toThrow(/NonMaxSuppression .* is not in the image-classifier op set/);
  });

  it('refuses custom op domains, standard names included', () => {
    const bytes = encodeModel(classifierGraph([{ opType: 'Relu', domain: 'com.microsoft', name: 'r2', input: ['logits'], output: ['z'] }]));
    expect(refusal(bytes)).toBe(
      "m.onnx: op 'com.microsoft.Relu' in node 'r2' is not allowed: only the standard ONNX operator set is accepted, not custom domains",
    );
    // 'ai.onnx' is the standard domain spelled out.
    const spelled = encodeModel(classifierGraph([{ opType: 'Relu', domain: 'ai.onnx', name: 'r2', input: ['logits'], output: ['z'] }]));
    expect(refusal(spelled)).toBeNull();
  });

  it('covers every op the ONNX → TF.js translation supports', () => {
    const src = readFileSync(path.join(ROOT, 'lib/models/onnx-to-tfjs-steps.ts'), 'utf8');
    const translated = [...src.matchAll(/case '([A-Za-z]+)':/g)].map((m) => m[1]);
    expect(translated.length).toBeGreaterThan(20);
    expect(translated.filter((op) => !IMAGE_CLASSIFIER_OPS.has(op))).toEqual([]);
  });
});

describe('graph size and nesting', () => {
  it('refuses more than 100k nodes', () => {
    const relus = Array.from({ length: 100_001 }, (_, i) => ({ opType: 'Relu', input: [i ? `r${i - 1}` : 'logits'], output: [`r${i}`] }));
    expect(refusal(encodeModel(classifierGraph(relus)))).toBe("m.onnx: the model has more than 100000 nodes; that is no image classifier");
  });

  it('refuses graphs nested more than 8 deep, even with control flow allowed', () => {
    let g: onnxProto.onnx.IGraphProto = { name: 'leaf', node: [{ opType: 'Identity', input: ['a'], output: ['b'] }] };
    for (let d = 0; d < 9; d++) {
      g = { name: `level${d}`, node: [{ opType: 'If', name: `if${d}`, input: ['c'], output: ['o'], attribute: [{ name: 'then_branch', type: A.GRAPH, g }] }] };
    }
    const bytes = encodeModel(classifierGraph(g.node!));
    expect(refusal(bytes, { PCACE_ALLOW_CONTROL_FLOW: '1' })).toMatch(/graphs nest more than 8 levels deep/);
  });

  it('refuses an absurd opset', () => {
    const bytes = encodeModel(classifierGraph(), { opsetImport: [{ domain: '', version: 100_000 }] });
    expect(refusal(bytes)).toBe('m.onnx: opset version 100000 of the ONNX domain is not a real opset (1–100)');
  });
});

describe('input size cap', () => {
  it('refuses an ONNX model declaring an 8192×8192 input, quoting the declared shape', async () => {
    const bytes = encodeModel(classifierGraph([], 8192));
    await expect(OnnxEngine.fromBytes(bytes, {}, 'big.onnx')).rejects.toThrow(
      "big.onnx: input 'x' declares [?, 1, 8192, 8192]: its height 8192 is above the limit of 2048 (PCACE_MAX_INPUT_SIDE)",
    );
    // Within the side limit but over the element cap (3×1024×1024 by default).
    const wide = encodeModel({ ...classifierGraph(), input: [valueInfo('x', FLOAT, ['N', 4, 1024, 1024])] });
    expect(refusal(wide)).toBe(
      "m.onnx: input 'x' declares [?, 4, 1024, 1024]: 4194304 values per image is above the limit of 3145728 (PCACE_MAX_INPUT_PIXELS)",
    );
  });

  it('applies the cap to a shape resolved from inputShape (symbolic dims)', async () => {
    const bytes = encodeModel(classifierGraph([], 'S'));
    await expect(OnnxEngine.fromBytes(bytes, { inputShape: [1, 8192, 8192] }, 'sym.onnx')).rejects.toThrow(
      "sym.onnx: input 'x' shape [1, 8192, 8192]: its height 8192 is above the limit of 2048 (PCACE_MAX_INPUT_SIDE)",
    );
    await expect(OnnxTfjsModel.create(bytes, { inputShape: [1, 8192, 8192] })).rejects.toThrow(/above the limit of 2048/);
  });

  it('is configurable: PCACE_MAX_INPUT_PIXELS and PCACE_MAX_INPUT_SIDE', async () => {
    process.env.PCACE_MAX_INPUT_PIXELS = '32';
    await expect(OnnxEngine.fromBytes(encodeModel(classifierGraph()), {}, 'c.onnx')).rejects.toThrow(
      "c.onnx: input 'x' declares [?, 1, 8, 8]: 64 values per image is above the limit of 32 (PCACE_MAX_INPUT_PIXELS)",
    );
    process.env.PCACE_MAX_INPUT_PIXELS = 'lots';
    await expect(OnnxEngine.fromBytes(encodeModel(classifierGraph()))).rejects.toThrow('PCACE_MAX_INPUT_PIXELS must be a positive integer, got "lots"');
    delete process.env.PCACE_MAX_INPUT_PIXELS;
    process.env.PCACE_MAX_INPUT_SIDE = '4';
    await expect(OnnxEngine.fromBytes(encodeModel(classifierGraph()))).rejects.toThrow(/its height 8 is above the limit of 4 \(PCACE_MAX_INPUT_SIDE\)/);
  });

  describe('TF.js', () => {
    beforeAll(async () => {
      await initTfBackend();
    });

    it('a graph model declaring 4096×4096, or given it as inputShape', async () => {
      const json = JSON.parse(readFileSync(path.join(FIX, 'tfjs/tiny-cnn-graph/model.json'), 'utf8'));
      const bin = readFileSync(path.join(FIX, 'tfjs/tiny-cnn-graph/weights.bin'));
      const placeholder = json.modelTopology.node.find((n: { op: string }) => n.op === 'Placeholder');
      placeholder.attr.shape.shape.dim = [{ size: '-1' }, { size: '4096' }, { size: '4096' }, { size: '3' }];
      const files = new Map<string, Uint8Array | string>([['model.json', JSON.stringify(json)], ['weights.bin', bin]]);
      await expect(createTfjsEngine(files)).rejects.toThrow(
        "in-memory model: input 'input' shape [3, 4096, 4096]: its height 4096 is above the limit of 2048 (PCACE_MAX_INPUT_SIDE)",
      );
      placeholder.attr.shape.shape.dim = [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }];
      files.set('model.json', JSON.stringify(json));
      await expect(createTfjsEngine(files, { inputShape: [3, 2048, 2048] })).rejects.toThrow(
        /12582912 values per image is above the limit of 3145728 \(PCACE_MAX_INPUT_PIXELS\)/,
      );
    });

    it('a layers model declaring 4096×4096', async () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ name: 'conv1', inputShape: [4096, 4096, 1], filters: 2, kernelSize: 3 }));
      m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
      m.add(tf.layers.dense({ name: 'dense', units: 3 }));
      let saved: tf.io.ModelArtifacts | null = null;
      await m.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      m.dispose();
      const a = saved as unknown as tf.io.ModelArtifacts;
      const files = new Map<string, Uint8Array | string>([
        ['model.json', JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }] })],
        ['w.bin', new Uint8Array(a.weightData as ArrayBuffer)],
      ]);
      await expect(createTfjsEngine(files)).rejects.toThrow(/^in-memory model: input '.*' declares \[\?, 4096, 4096, 1\]: its height 4096 is above the limit of 2048/);
    });
  });
});

describe('TF.js weight paths', () => {
  const json = JSON.parse(readFileSync(path.join(FIX, 'tfjs/tiny-cnn/model.json'), 'utf8'));
  const bin = readFileSync(path.join(FIX, 'tfjs/tiny-cnn/weights.bin'));

  it("refuses '../../README.md' in a model folder before reading it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcace-tfjs-'));
    // A shard the path would reach if it were followed: its bytes must never matter.
    for (const p of ['../../README.md', '/etc/hostname', 'https://example.org/w.bin', 'sub/w.bin', '..\\w.bin', '..']) {
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: [p] }] }));
      await expect(createTfjsEngine(dir), p).rejects.toThrow(
        `${path.join(dir, 'model.json')}: weight path ${JSON.stringify(p)} is refused: weight shards must be plain file names beside model.json`,
      );
    }
    await expect(openModel(path.join(dir, 'model.json'))).rejects.toThrow(/weight path "\.\." is refused/);
  });

  it('refuses it in an upload (in-memory files) too, and a manifest that is not a list', async () => {
    const evil = { ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: ['../../README.md'] }] };
    const files = new Map<string, Uint8Array | string>([['model.json', JSON.stringify(evil)], ['README.md', bin]]);
    await expect(createTfjsEngine(files)).rejects.toThrow(`in-memory model: weight path "../../README.md" is refused`);
    files.set('model.json', JSON.stringify({ ...json, weightsManifest: { paths: ['weights.bin'] } }));
    await expect(createTfjsEngine(files)).rejects.toThrow('in-memory model: weightsManifest must be a list of weight groups');
  });
});

describe('every model the project ships still opens', () => {
  const onnxFiles = [
    'models/demo/mnist-cnn.onnx',
    'models/demo/resnet18-mnist.onnx',
    'models/demo/vgg16-mnist.onnx',
    'tests/fixtures/resnet18-w4/model.onnx',
    'tests/reference/pipeline/mnist_cnn.onnx',
  ];
  it.each(onnxFiles)('%s', async (file) => {
    const engine = await openModel(path.join(ROOT, file), 'onnx', { threads: 1 });
    expect(engine.listConvLayers().length).toBeGreaterThan(0);
    await engine.dispose();
  });

  it.each(['tests/fixtures/tfjs/tiny-cnn/model.json', 'tests/fixtures/tfjs/tiny-cnn-graph/model.json'])('%s', async (file) => {
    const engine = await openModel(path.join(ROOT, file));
    expect(engine.listConvLayers().map((l) => l.name).length).toBe(2);
    await engine.dispose();
  });

  // Dev machines with Debian's python3-torch: torchvision's exports at full ImageNet size.
  const torch = existsSync('/usr/bin/python3') && (() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import torch, torchvision, onnx'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!torch).each(['resnet18', 'vgg16'])('a torchvision %s export (3×224×224)', async (arch) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcace-tv-'));
    try {
      const file = path.join(dir, `${arch}.onnx`);
      execFileSync('/usr/bin/python3', [path.join(ROOT, 'scripts/export-torchvision.py'), arch, file, '--width', '0.25'], { stdio: 'ignore' });
      const engine = await openModel(file, 'onnx', { threads: 1 });
      expect(engine.input.shape).toEqual([3, 224, 224]);
      expect(engine.listConvLayers().length).toBe(arch === 'vgg16' ? 13 : 20);
      await engine.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
