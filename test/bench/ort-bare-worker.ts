/**
 * The baseline for the profiler benchmark: a bare onnxruntime-node loop with the same session
 * options and the same input, as a user would write it. Prints { p50, samples }.
 */
import * as ort from 'onnxruntime-node';

async function main(): Promise<void> {
  const [model, dimsJson, runsStr, warmStr, threadsStr] = process.argv.slice(2);
  const dims = JSON.parse(dimsJson!) as number[];
  const session = await ort.InferenceSession.create(model!, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    intraOpNumThreads: Number(threadsStr),
  });
  const count = dims.reduce((a, b) => a * b, 1);
  const x = new ort.Tensor('float32', new Float32Array(count).map(() => Math.random() * 2 - 1), dims);
  const feeds = { [session.inputNames[0]!]: x };
  await session.run(feeds);
  for (let i = 0; i < Number(warmStr); i++) await session.run(feeds);
  const samples: number[] = [];
  for (let i = 0; i < Number(runsStr); i++) {
    const t0 = performance.now();
    await session.run(feeds);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  console.log(JSON.stringify({ p50: samples[Math.floor(samples.length / 2)] }));
  await session.release();
}

void main();
