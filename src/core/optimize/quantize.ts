/** INT8 dynamic quantization of MatMul/Gemm weights. */
import { OptimizeError } from './errors';
import type { Int8Options, TransformReport, TransformRunOptions } from './types';

export async function quantizeInt8(src: string, dst: string, opts: Int8Options = {}, run: TransformRunOptions = {}): Promise<TransformReport> {
  void src, dst, opts, run;
  throw new OptimizeError('unsupported', 'INT8 quantization is being implemented (API committed first).');
}
