/** Models for the tests of one describe block. */
import { afterAll, beforeAll } from 'vitest';
import { OnnxTfjsModel } from '../../lib/models/onnx-to-tfjs';

/** The ONNX model at `file` translated to TF.js before the block's tests, disposed after them (read `.model` inside tests). */
export function useOnnxTfjsModel(file: string): { readonly model: OnnxTfjsModel } {
  let model: OnnxTfjsModel | undefined;
  beforeAll(async () => {
    model = await OnnxTfjsModel.create(file);
  });
  afterAll(async () => {
    await model?.dispose();
  });
  return {
    get model() {
      if (!model) throw new Error('model not loaded yet (use it inside tests)');
      return model;
    },
  };
}
