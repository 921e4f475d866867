/**
 * Security finding: ONNX "external data" makes ONNX Runtime read a file of
 * the server. The crafted model reads two bytes of README.md into Pad
 * amounts before a Conv, so the conv map size the API reports spells them.
 * Every open must refuse external data wherever a tensor can sit.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { OnnxEngine } from '../../lib/models/onnx-engine';
import { decodeOnnx, withExtraOutputs } from '../../lib/models/onnx-graph';
import { isolatedSessionOptions } from '../../lib/models/onnx-policy';
import { openModel } from '../../lib/models/open-model';
import { OnnxTfjsModel } from '../../lib/models/onnx-to-tfjs';
import {
  AttributeType as A,
  classifierGraph,
  concatBytes,
  constantNode,
  encodeModel,
  externalTensor,
  FLOAT,
  floats,
  lengthDelimited,
  LEAK_SIDE,
  leakModel,
  loopNodes,
  onnx,
  refusal,
} from './onnx-crafted';

const ROOT = path.resolve(import.meta.dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'));
const REFUSED = /external data .* is refused: tensor data kept outside the model file makes ONNX Runtime read files on the server/;

describe('the crafted model is a real exploit against a plain ONNX Runtime session', () => {
  it('leaks README.md bytes through the conv map size when loaded from bytes in the repository folder', async () => {
    // What the engine did before the policy: bytes in, session out, map sizes reported.
    expect(process.cwd()).toBe(ROOT);
    const leaked: number[] = [];
    for (const offset of [0, 2]) {
      // The engine's own editing step (conv outputs declared as graph outputs), without the policy.
      const bytes = withExtraOutputs(onnx.ModelProto.decode(leakModel('README.md', offset)), ['c']);
      const session = await InferenceSession.create(bytes, { logSeverityLevel: 3 });
      try {
        const res = await session.run({ x_in: new Tensor('float32', new Float32Array(LEAK_SIDE * LEAK_SIDE), [1, 1, LEAK_SIDE, LEAK_SIDE]) }, ['c']);
        const [, , h, w] = res.c.dims.map(Number);
        leaked.push(h - LEAK_SIDE, w - LEAK_SIDE);
      } finally {
        await session.release();
      }
    }
    expect(Buffer.from(leaked).toString('latin1')).toBe(README.subarray(0, 4).toString('latin1'));
  });

  it('an isolated session cannot resolve the path against the working directory either', async () => {
    await expect(InferenceSession.create(leakModel(), isolatedSessionOptions({ logSeverityLevel: 3 }))).rejects.toThrow(
      /External data path does not exist/,
    );
  });
});

describe('every open refuses it', () => {
  it('OnnxEngine.fromBytes names the Constant node and the attribute', async () => {
    await expect(OnnxEngine.fromBytes(leakModel(), {}, 'evil.onnx')).rejects.toThrow(
      /^evil\.onnx: external data in Constant node 'x' attribute 'value' is refused: tensor data kept outside the model file makes ONNX Runtime read files on the server; re-export the model as a single file$/,
    );
  });

  it('openModel (worker, CLI) and the TF.js translation refuse the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcace-evil-'));
    const file = path.join(dir, 'evil.onnx');
    writeFileSync(file, leakModel());
    await expect(openModel(file)).rejects.toThrow(REFUSED);
    await expect(OnnxTfjsModel.create(file)).rejects.toThrow(REFUSED);
  });

  it('the message carries no byte of the file', async () => {
    const err = await OnnxEngine.fromBytes(leakModel()).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain(README.subarray(0, 40).toString('utf8'));
  });
});

const secret = () => externalTensor('secret', 'README.md', 0, 8);

describe('external data is refused wherever a tensor can sit', () => {
  it('a valid classifier passes (the baseline the others extend)', async () => {
    expect(refusal(encodeModel(classifierGraph()))).toBeNull();
    const engine = await OnnxEngine.fromBytes(encodeModel(classifierGraph()));
    expect(engine.listConvLayers().map((l) => [l.name, l.mapHeight])).toEqual([['conv1', 8]]);
    await engine.dispose();
  });

  it('graph initializers', () => {
    const g = classifierGraph();
    g.initializer!.push({ ...secret(), name: 'conv1.weight' });
    g.initializer!.splice(0, 1);
    expect(refusal(encodeModel(g))).toMatch(/^m\.onnx: external data in graph initializer 'conv1\.weight' is refused/);
  });

  it('sparse initializers, values and indices', () => {
    const values = classifierGraph([], 8, { sparseInitializer: [{ values: secret(), indices: { name: 'idx', dims: [1], dataType: 7, int64Data: [0] }, dims: [8] }] });
    expect(refusal(encodeModel(values))).toMatch(/external data in sparse initializer 'secret' \(values\) is refused/);
    const indices = classifierGraph([], 8, {
      sparseInitializer: [{ values: floats('vals', [1]), indices: externalTensor('idx', 'README.md', 0, 8, 7), dims: [8] }],
    });
    expect(refusal(encodeModel(indices))).toMatch(/external data in sparse initializer 'vals' \(indices\) is refused/);
  });

  it('node attributes of every tensor kind: t, tensors, sparse_tensor, sparse_tensors', () => {
    const withAttr = (attr: onnxProto.onnx.IAttributeProto) =>
      encodeModel(classifierGraph([{ opType: 'Constant', name: 'k', output: ['k_out'], attribute: [attr] }]));
    expect(refusal(withAttr({ name: 'value', type: A.TENSOR, t: secret() }))).toMatch(/external data in Constant node 'k' attribute 'value' is refused/);
    expect(refusal(withAttr({ name: 'sparse_value', type: A.SPARSE_TENSOR, sparseTensor: { values: secret(), dims: [8] } }))).toMatch(
      /external data in Constant node 'k' attribute 'sparse_value' \(values\) is refused/,
    );
    expect(refusal(withAttr({ name: 'value', type: A.TENSORS, tensors: [floats('ok', [1]), secret()] }))).toMatch(
      /external data in Constant node 'k' attribute 'value' \[1\] is refused/,
    );
    expect(refusal(withAttr({ name: 'value', type: A.SPARSE_TENSORS, sparseTensors: [{ values: secret(), dims: [8] }] }))).toMatch(
      /external data in Constant node 'k' attribute 'value' \[0\] \(values\) is refused/,
    );
  });

  it('a tensor with only an external_data list, or a data_location outside the enum, counts as external', () => {
    const listOnly = { ...secret(), dataLocation: 0 };
    expect(refusal(encodeModel(classifierGraph([constantNode('k', listOnly)])))).toMatch(REFUSED);
    const odd = { name: 'k', dims: [1], dataType: FLOAT, floatData: [1], dataLocation: 7 as 0 };
    expect(refusal(encodeModel(classifierGraph([constantNode('k', odd)])))).toMatch(REFUSED);
  });

  it('inside a Loop body, even when control flow is allowed', () => {
    const bytes = encodeModel(classifierGraph(loopNodes(3, [constantNode('hidden', secret())])));
    const msg = /external data in Loop node 'spin' attribute 'body' > Constant node 'hidden' attribute 'value' is refused/;
    expect(refusal(bytes)).toMatch(msg);
    expect(refusal(bytes, { PCACE_ALLOW_CONTROL_FLOW: '1' })).toMatch(msg);
  });

  it('inside the branches of an If (the graphs attribute kinds too)', () => {
    const branch = (n: string) => ({ name: n, node: [constantNode(`${n}_out`, secret())], output: [{ name: `${n}_out` }] });
    const ifNode = { opType: 'If', name: 'fork', input: ['c'], output: ['o'], attribute: [{ name: 'then_branch', type: A.GRAPH, g: branch('t') }] };
    expect(refusal(encodeModel(classifierGraph([ifNode])))).toMatch(/external data in If node 'fork' attribute 'then_branch' > Constant node 't_out'/);
    const listed = { opType: 'Sum', name: 'g', input: ['c'], output: ['o'], attribute: [{ name: 'bodies', type: A.GRAPHS, graphs: [branch('a'), branch('b')] }] };
    expect(refusal(encodeModel(classifierGraph([listed])))).toMatch(/external data in Sum node 'g' attribute 'bodies' \[0\] > Constant node 'a_out'/);
  });

  it('in a model-local function', () => {
    const bytes = encodeModel(classifierGraph(), {
      functions: [{ name: 'Leak', domain: 'lab.local', input: [], output: ['s'], node: [constantNode('s', secret())], opsetImport: [{ domain: '', version: 13 }] }],
    });
    expect(refusal(bytes)).toMatch(/external data in function 'lab\.local\.Leak' > Constant node 's' attribute 'value' is refused/);
  });

  it('in training info: initialization and algorithm graphs', () => {
    const g = (n: string) => ({ name: n, node: [{ opType: 'Identity', input: ['a'], output: ['b'] }], initializer: [{ ...secret(), name: `${n}.state` }] });
    expect(refusal(encodeModel(classifierGraph(), { trainingInfo: [{ initialization: g('init') }] }))).toMatch(
      /external data in training info 0 initialization > graph initializer 'init\.state' is refused/,
    );
    expect(refusal(encodeModel(classifierGraph(), { trainingInfo: [{ algorithm: g('algo'), updateBinding: [{ key: 'conv1.weight', value: 'b' }] }] }))).toMatch(
      /external data in training info 0 algorithm > graph initializer 'algo\.state' is refused/,
    );
  });

  it('fields onnx-proto does not know never reach ONNX Runtime: the session gets the re-encoded model', () => {
    // FunctionProto.attribute_proto (field 11, ONNX ≥ 1.15) holding an external
    // tensor, spliced into the bytes: the decoder skips it, so the check cannot
    // see it, and the re-encoding that ORT receives does not contain it.
    const hiddenAttr = onnx.AttributeProto.encode({ name: 'value', type: A.TENSOR, t: externalTensor('hidden', 'README.md', 0, 8) }).finish();
    const fn = concatBytes(
      onnx.FunctionProto.encode({ name: 'F', domain: 'lab.local', output: ['o'], node: [{ opType: 'Identity', input: ['i'], output: ['o'] }] }).finish(),
      lengthDelimited(11, hiddenAttr),
    );
    const bytes = concatBytes(encodeModel(classifierGraph()), lengthDelimited(25, fn));
    expect(Buffer.from(bytes).includes('README.md')).toBe(true);
    const model = decodeOnnx(bytes, 'm.onnx');
    expect(model.functions).toHaveLength(1);
    const sent = withExtraOutputs(model, ['c']);
    expect(Buffer.from(sent).includes('README.md')).toBe(false);
  });
});
