/**
 * Diagnostics latency of the language server after an edit, over JSON-RPC as an editor sees it:
 * the bundled server (dist/server.js's build) on generated 500- and 5,000-line modules
 * (test/server/big-script.ts), one character typed in a docstring in the middle of the file, time
 * from sending didChange to receiving that version's publishDiagnostics. Baseline in the same run:
 * the same edit sent as a full-document change (the server re-parses from scratch; its per-function
 * analysis cache still applies), and opening the file (full parse and full analysis).
 */
import { percentileSorted } from '../../src/core/metrics/stats';
import { bigScript } from '../server/big-script';
import { LspClient } from '../server/lsp-client';
import type { BenchRow } from './run';

const TARGET_MS = 50;
const EDITS = 80;
const WARMUP = 15;

function stats(xs: number[]): { p50: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentileSorted(s, 50), p90: percentileSorted(s, 90) };
}

async function measure(lines: number): Promise<BenchRow[]> {
  const client = await LspClient.start();
  try {
    const big = bigScript(lines);
    const line = big.middleDocLine;
    const col = big.text.split('\n')[line]!.indexOf('accuracy');
    const uri = `file:///bench/big-${lines}.py`;
    await client.open(uri, big.text);
    let version = 1;
    let text = big.text;
    const lineStart = text.split('\n').slice(0, line).join('\n').length + 1;
    const edit = async (incremental: boolean): Promise<number> => {
      // Alternate typing and deleting one character, so the text stays the same size.
      const typing = version % 2 === 1;
      const offset = lineStart + col;
      text = typing ? text.slice(0, offset) + 'x' + text.slice(offset) : text.slice(0, offset) + text.slice(offset + 1);
      const change = incremental
        ? { range: { start: { line, character: col }, end: { line, character: typing ? col : col + 1 } }, text: typing ? 'x' : '' }
        : { text };
      const t0 = performance.now();
      await client.change(uri, ++version, [change]);
      return performance.now() - t0;
    };
    for (let k = 0; k < WARMUP; k++) await edit(k % 2 === 0);
    const inc: number[] = [];
    const full: number[] = [];
    // Interleaved, so both see the same machine load.
    for (let k = 0; k < EDITS; k++) {
      inc.push(await edit(true));
      full.push(await edit(false));
    }
    const opens: number[] = [];
    for (let k = 0; k < 5; k++) {
      const u = `file:///bench/open-${lines}-${k}.py`;
      const t0 = performance.now();
      await client.open(u, big.text);
      opens.push(performance.now() - t0);
      await client.close(u);
    }
    const a = stats(inc);
    const b = stats(full);
    const o = stats(opens);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    return [
      {
        name: `lint: edit → diagnostics, ${lines} lines (incremental)`,
        value: `median ${ms(a.p50)} / p90 ${ms(a.p90)}`,
        baseline: `full-text change: median ${ms(b.p50)} / p90 ${ms(b.p90)}`,
        ratio: `${(b.p50 / a.p50).toFixed(1)}x faster`,
        target: `median ≤ ${TARGET_MS} ms`,
        pass: a.p50 <= TARGET_MS,
      },
      {
        name: `lint: open → diagnostics, ${lines} lines (full parse and analysis)`,
        value: `median ${ms(o.p50)}`,
        baseline: '-',
        ratio: '-',
        target: 'informational',
        pass: true,
      },
    ];
  } finally {
    await client.stop();
  }
}

export async function run(): Promise<BenchRow[]> {
  return [...(await measure(500)), ...(await measure(5000))];
}
