/**
 * Budgets: the parser (units, aliases, errors) and `inference-lens check` spawned from its bundle
 * on real models — exit 0 when met, 1 when missed (with the measured value the run file holds),
 * 2 on bad usage.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { BudgetError, budgetNeeds, checkBudget, parseBudget } from '../../src/core/budget';
import { parseRunFile } from '../../src/core/results/run-file';
import type { OrtProfileResult } from '../../src/core/results/ort-run';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { tinyDecoderModel, transformerModel } from '../helpers/models';

describe('budget parser', () => {
  test('units become ms, bytes and per-second values; aliases map to one metric', () => {
    const c = parseBudget('p50<=20ms, p99 < 0.5s; latency_p90<=1500us, peak_mem<=2GB,gpu_mem<=1.5GiB,rps>=100, tokens_per_s>=30/s, ttft<250ms, kv_per_token<=64KiB');
    assert.deepEqual(
      c.map((x) => [x.metric, x.op, x.limit]),
      [
        ['p50', '<=', 20],
        ['p99', '<', 500],
        ['p90', '<=', 1.5],
        ['peak_mem', '<=', 2e9],
        ['gpu_mem', '<=', 1.5 * 2 ** 30],
        ['throughput', '>=', 100],
        ['tokens_per_s', '>=', 30],
        ['ttft', '<', 250],
        ['kv_per_token', '<=', 65536],
      ],
    );
    assert.deepEqual(budgetNeeds(c), { decode: true, gpu: true });
    assert.deepEqual(budgetNeeds(parseBudget('p50<=1ms')), { decode: false, gpu: false });
  });

  test('mistakes are named with what to write instead', () => {
    for (const [text, want] of [
      ['', /empty/],
      ['p50=20ms', /cannot read 'p50=20ms'/],
      ['latncy<=2ms', /unknown metric 'latncy'.*known: p50, p90/],
      ['p50<=20', /is a time; give a unit/],
      ['p50<=2GB', /is a time/],
      ['peak_mem<=2', /is memory; give a unit/],
      ['throughput>=30ms', /rate per second/],
    ] as const) {
      assert.throws(() => parseBudget(text), (e: unknown) => e instanceof BudgetError && want.test(e.message), text);
    }
  });

  test('checks: pass, miss by how much, and metrics the run did not measure fail', () => {
    const r = {
      latencyMs: { p50: 12, p90: 15, p99: 20, mean: 12.5, max: 22, min: 10, stdev: 1, count: 10 },
      throughput: { inferencesPerSec: 80, itemsPerSec: 80 },
      memory: { peakRssBytes: 3e9, rssSamples: [] },
      sessionCreateMs: 100,
      firstRunMs: 30,
    } as unknown as OrtProfileResult;
    const { pass, checks } = checkBudget(parseBudget('p50<=20ms,peak_mem<=2GB,throughput>=100,gpu_mem<=1GB'), r);
    assert.equal(pass, false);
    assert.deepEqual(
      checks.map((c) => [c.clause.metric, c.pass, c.actual, c.over]),
      [
        ['p50', true, 12, -8],
        ['peak_mem', false, 3e9, 1e9],
        ['throughput', false, 80, 20],
        ['gpu_mem', false, null, null],
      ],
    );
    assert.equal(checks[1]!.overRatio, 0.5);
  });
});

describe('inference-lens check', () => {
  let cli = '';
  let work = '';
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'check', ...args], { cwd: work, encoding: 'utf8', timeout: 180_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async () => {
    cli = (await bundles()).cli;
    work = tmpDir('check-cli');
    fs.writeFileSync(path.join(work, 'encoder.onnx'), transformerModel({ layers: 1, hidden: 32, ffn: 64 }).model);
    fs.writeFileSync(path.join(work, 'decoder.onnx'), tinyDecoderModel({ layers: 1, vocab: 32, dim: 16 }));
  });

  test('a budget met exits 0; a budget missed exits 1 naming the metric and the measured value from the run', () => {
    const ok = run(['encoder.onnx', '--dims', 'batch=1,sequence=8', '--iterations', '20', '--profiled-runs', '0', '--budget', 'p50<=10s,peak_mem<=64GiB,throughput>=0.01']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Budget met/);
    assert.match(ok.stdout, /latency p50 +p50 <= 10000 ms +[\d.]+ ms +ok, /);

    const miss = run(['encoder.onnx', '--dims', 'batch=1,sequence=8', '--iterations', '20', '--profiled-runs', '0', '--budget', 'p50<=1ns', '--budget', 'peak_mem<=1MB', '--json']);
    assert.equal(miss.code, 1, miss.stderr);
    const j = JSON.parse(miss.stdout) as { schemaVersion: number; pass: boolean; runFile: string; checks: { metric: string; pass: boolean; actual: number; over: number; limit: number }[] };
    assert.equal(j.schemaVersion, 1);
    assert.equal(j.pass, false);
    const runFile = parseRunFile(fs.readFileSync(j.runFile, 'utf8')) as unknown as { result: OrtProfileResult };
    assert.deepEqual(
      j.checks.map((c) => [c.metric, c.pass, c.actual]),
      [
        ['p50', false, runFile.result.latencyMs.p50],
        ['peak_mem', false, runFile.result.memory.peakRssBytes],
      ],
    );
    assert.equal(j.checks[1]!.over, runFile.result.memory.peakRssBytes - 1e6);

    const text = run(['encoder.onnx', '--dims', 'batch=1,sequence=8', '--iterations', '10', '--profiled-runs', '0', '--budget', 'peak_mem<=1MB']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /MISSED by [\d.]+ [KMG]iB \([\d.]+%\)/);
    assert.match(text.stdout, /Budget missed: peak_mem/);
  });

  test('decode budgets run the decode loop (tokens/s, time to first token)', () => {
    const r = run(['decoder.onnx', '--decode', '8:8', '--iterations', '5', '--profiled-runs', '0', '--budget', 'tokens_per_s>=1,ttft<=60s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { checks: { metric: string; actual: number }[]; run: OrtProfileResult };
    assert.equal(j.checks[0]!.actual, j.run.decode!.tokensPerSec);
    assert.equal(j.checks[1]!.actual, j.run.decode!.timeToFirstTokenMs);
  });

  test('bad usage exits 2 with one line and runs nothing', () => {
    for (const [args, want] of [
      [['encoder.onnx'], /check needs --budget/],
      [['encoder.onnx', '--budget', 'p50<=20'], /--budget: 'p50<=20': p50 is a time/],
      [['encoder.onnx', '--budget', 'tokens_per_s>=30'], /decode metrics \(tokens_per_s\); add --decode P:T/],
      [['--budget', 'p50<=1ms'], /needs a model path/],
      [['missing.onnx', '--budget', 'p50<=1ms'], /missing\.onnx/],
    ] as const) {
      const r = run([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
