/**
 * Model transformations (INT8 quantization, FP16 conversion, input/output dims), each writing a
 * new model next to the original and reporting what changed. See types.ts for the contract.
 */
export * from './types';
export { OptimizeError, isOptimizeError, type OptimizeErrorCode } from './errors';
export { defaultOutputPath, uniqueOutputPath, externalDataPath } from './paths';
export { quantizeInt8 } from './quantize';
export { convertFp16, DEFAULT_KEEP_FP32_OPS } from './fp16';
export { setDims, parseDimChange } from './dims';
