/** Gradient-based explanations on differentiable models (ONNX via TF.js translation, TF.js layers models). */
export { gradCam, cam, type Heatmap, type HeatmapOptions } from './grad-cam';
export { activationMaximisation, type ActMaxOptions, type ActMaxResult } from './act-max';
export { gaussianBlur, roll, toUint8Image, upsample, minMaxPerMap, seededUniform } from './image';
