/** Input files written by real NumPy (python3 -c ...), read by our decoders. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { InputSynthesisError } from '../../src/core/inputs/synthesize';
import { loadInputFiles, matchInputs, parseNpy } from '../../src/core/inputs/tensor-files';
import { encodeTensor } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { tmpDir } from '../helpers/fixtures';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

function numpy(script: string, cwd: string): void {
  const r = spawnSync('python3', ['-c', `import numpy as np\n${script}`], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('.npy and .npz from NumPy: dtypes, shapes and values', { skip: hasNumpy ? false : 'python3 with numpy not installed' }, () => {
  const dir = tmpDir('npy');
  numpy(
    [
      "np.save('x.npy', np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8)",
      "np.save('ids.npy', np.array([[1, 2, 3, 2**40]], dtype=np.int64))",
      "np.save('half.npy', np.array([1.5, -2.0], dtype=np.float16))",
      "np.save('mask.npy', np.array([True, False, True]))",
      "np.savez('pair.npz', input_ids=np.array([[5, 6]], dtype=np.int64), attention_mask=np.ones((1, 2), dtype=np.int32))",
      "np.savez_compressed('big.npz', h=np.linspace(0, 1, 10000, dtype=np.float64).reshape(100, 100))",
    ].join('\n'),
    dir,
  );
  const [x, ids, half, mask, ...rest] = loadInputFiles(['x.npy', 'ids.npy', 'half.npy', 'mask.npy', 'pair.npz', 'big.npz'].map((f) => path.join(dir, f)));
  assert.deepEqual([x!.name, x!.dtype, x!.dims], ['x', 'float32', [2, 3, 4]]);
  assert.equal((x!.data as Float32Array)[23], 23 / 8);
  assert.deepEqual([...(ids!.data as BigInt64Array)], [1n, 2n, 3n, 2n ** 40n]);
  assert.deepEqual([...(half!.data as Uint16Array)], [0x3e00, 0xc000]);
  assert.deepEqual([mask!.dtype, ...(mask!.data as Uint8Array)], ['bool', 1, 0, 1]);
  const byName = Object.fromEntries(rest.map((t) => [t.name, t]));
  assert.deepEqual([...(byName.input_ids!.data as BigInt64Array)], [5n, 6n]);
  assert.equal(byName.attention_mask!.dtype, 'int32');
  assert.equal((byName.h!.data as Float64Array)[9999], 1);
  assert.deepEqual(byName.h!.dims, [100, 100]);
});

test('.pb TensorProto: raw_data and typed fields', () => {
  const dir = tmpDir('pb');
  fs.writeFileSync(path.join(dir, 'input_0.pb'), encodeTensor({ name: 'x', dataType: DataType.FLOAT, dims: [2, 2], raw: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) }).finish());
  // int64_data as packed varints (field 7), negative values included, no name: named after the file.
  const w = encodeTensor({ dataType: DataType.INT64, dims: [3] });
  w.packedVarints(7, [7, -1, 2 ** 40]);
  fs.writeFileSync(path.join(dir, 'input_1_ids.pb'), w.finish());
  const [x, ids] = loadInputFiles([path.join(dir, 'input_0.pb'), path.join(dir, 'input_1_ids.pb')]);
  assert.deepEqual([x!.name, ...(x!.data as Float32Array)], ['x', 1, 2, 3, 4]);
  assert.deepEqual([ids!.name, ...(ids!.data as BigInt64Array)], ['ids', 7n, -1n, 2n ** 40n]);
});

test('mismatches and corrupt files give clear errors', () => {
  const dir = tmpDir('npy-bad');
  fs.writeFileSync(path.join(dir, 'junk.npy'), 'hello');
  assert.throws(() => loadInputFiles([path.join(dir, 'junk.npy')]), /junk\.npy: not a NumPy \.npy file/);
  assert.throws(() => loadInputFiles([path.join(dir, 'nope.npz')]), /cannot read \(ENOENT\)/);
  assert.throws(() => loadInputFiles([path.join(dir, 'a.txt')]), /use \.npy, \.npz or \.pb/);
  // A truncated array: the header promises more data than is there.
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }";
  const h = Buffer.from(header.padEnd(118) + '\n', 'latin1');
  const npy = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]), h, Buffer.alloc(8)]);
  assert.throws(() => parseNpy(npy, 'x'), /holds 8 bytes of data, but its shape needs 40/);
  const t = { name: 'x', dtype: 'float32' as const, dims: [1, 3], data: new Float32Array(3) };
  assert.throws(() => matchInputs([t], [{ name: 'x', dtype: 'float', shape: [1, 4] }]), (e: unknown) => e instanceof InputSynthesisError && /needs 4 at axis 1/.test(e.message));
  assert.throws(() => matchInputs([t], [{ name: 'y', dtype: 'float', shape: null }]), /No data for input 'y'/);
  assert.throws(() => matchInputs([t], [{ name: 'x', dtype: 'int64', shape: null }]), /must be int64/);
  assert.deepEqual(matchInputs([t], [{ name: 'x', dtype: 'float', shape: ['batch', 3] }]), [t]);
});
