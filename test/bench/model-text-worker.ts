/**
 * One measurement in a fresh process (so peak RSS is its own), for model-text.bench.ts:
 *   text <model>: the model as ONNX text (lazy read + render), what Show Model as Text does
 *   summary <model>: the lazy summary of the same model (the model overview's read), the baseline
 *   compare <a> <b>: the structural diff of two models
 *   summary2 <a> <b>: both lazy summaries (the compare's baseline)
 * Prints one JSON line: { ms, maxRssBytes, nodes, chars }.
 */
import * as fs from 'node:fs';
import { compareModelFiles, modelTextOfFile, summarizeModel } from '../../src/core/onnx';

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  const t0 = performance.now();
  let nodes = 0;
  let chars = 0;
  if (mode === 'text') {
    const t = await modelTextOfFile(a!);
    nodes = t.nodeCount;
    chars = t.text.length;
  } else if (mode === 'summary') {
    nodes = (await summarizeModel(a!)).nodeCountTotal;
  } else if (mode === 'compare') {
    const d = await compareModelFiles(a!, b!);
    nodes = d.nodesTotal.a + d.nodesTotal.b;
  } else if (mode === 'summary2') {
    nodes = (await summarizeModel(a!)).nodeCountTotal + (await summarizeModel(b!)).nodeCountTotal;
  } else throw new Error(`unknown mode ${mode}`);
  const ms = performance.now() - t0;
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  console.log(JSON.stringify({ ms, maxRssBytes: m ? Number(m[1]) * 1024 : 0, nodes, chars }));
}

void main();
