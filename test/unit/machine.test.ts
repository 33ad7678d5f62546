import assert from 'node:assert/strict';
import { test } from 'node:test';
import { machineInfo, parseComputeApps, parseGpuQuery } from '../../src/runner/machine';

test('nvidia-smi query output is parsed (format of `--format=csv,noheader,nounits`)', () => {
  const gpus = parseGpuQuery('0, NVIDIA H100 80GB HBM3, 81559, 580.95.05\n1, NVIDIA A100-SXM4-40GB, 40960, 580.95.05\n');
  assert.deepEqual(gpus, [
    { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryTotalBytes: 81559 * 2 ** 20, driver: '580.95.05' },
    { index: 1, name: 'NVIDIA A100-SXM4-40GB', memoryTotalBytes: 40960 * 2 ** 20, driver: '580.95.05' },
  ]);
  assert.equal(parseComputeApps('1234, 2048\n999, 100\n1234, 512\n', 1234), 2560 * 2 ** 20);
  assert.equal(parseComputeApps('No running processes found\n', 1234), 0);
  assert.deepEqual(parseGpuQuery(''), []);
});

test('machine info is always available; no GPU is reported as none', async () => {
  const m = await machineInfo();
  assert.ok(m.cores >= 1 && m.memoryBytes > 0 && m.cpu.length > 0);
  assert.ok(Array.isArray(m.gpus));
});
