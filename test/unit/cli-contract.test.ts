/**
 * The CLI contract across every command, as a user meets it: the bundled CLI spawned on real models,
 * traces and scripts. Each command's `--json` validated against its JSON Schema
 * (src/cli/schemas/<command>.schema.json, ajv, draft 2020-12) and its values checked against what
 * the core computes and against independent counts; the schemas checked against the TypeScript types
 * they document; `--help` for every command; every bad-input path exits 2 with one stderr line
 * `inference-lens: …` and no stack trace; `optimize` never touches its input.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { summarizeModel, readModel } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { insightReport } from '../../src/core/insight/report';
import { latencyStats } from '../../src/core/metrics/stats';
import { summarizeProfile } from '../../src/core/profile';
import { importTraceFile } from '../../src/core/trace';
import { RULE_IDS } from '../../src/server/analysis/rules';
import { bundles, serverBundle } from '../helpers/bundles';
import { fixturePath, independentOpCounts, manifest, REPO, tmpDir } from '../helpers/fixtures';
import { schemaErrors, schemaFiles, schemaTypeMismatches, SCHEMA_DIR, type Schema } from '../helpers/json-schemas';
import { mlpModel, transformerModel } from '../helpers/models';
import { listDir, sha256, writeModelFile } from '../helpers/optimize';
import { torchPython } from '../helpers/python';
import { failureMessage } from '../../src/cli/main';
import { errorLine } from '../../src/cli/errors';

/** Every command `inference-lens --help` lists, each with a `--json` output and its schema file. */
const COMMANDS = ['summary', 'insight', 'profile', 'providers', 'optimize', 'compare', 'lint', 'trace', 'check', 'torch'] as const;

let cli = '';
let dir = '';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], cwd = dir, timeout = 180_000): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `args` (which include --json), expects `code`, parses stdout and validates it against the command's schema. */
function json<T = Record<string, unknown>>(command: string, args: readonly string[], code = 0): T {
  const r = run([command, ...args]);
  assert.equal(r.code, code, `${command} ${args.join(' ')} → exit ${code}\n${r.stderr}`);
  let out: unknown;
  assert.doesNotThrow(() => (out = JSON.parse(r.stdout)), `stdout is one JSON document: ${r.stdout.slice(0, 300)}`);
  assert.equal(typeof (out as { schemaVersion?: unknown }).schemaVersion, 'number', 'a top-level schemaVersion');
  assert.equal(schemaErrors(command, out), '', `${command} --json matches src/cli/schemas/${command}.schema.json`);
  return out as T;
}

const trace = (id: string) => fixturePath(manifest.traces.find((t) => t.id === id)!.path);
const fixture = (id: string) => fixturePath(manifest.models.find((m) => m.id === id)!.path);
const rawEvents = (file: string) => (JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString()) as { traceEvents: unknown[] }).traceEvents.length;
const mainNodes = (file: string) => onnx.ModelProto.decode(fs.readFileSync(file)).graph!.node!.length;

/** A model the reader accepts and ONNX Runtime refuses: an op no opset defines. */
function unknownOpModel(): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      nodes: [{ name: 'n', opType: 'NoSuchOp', inputs: ['x'], outputs: ['y'] }],
      initializers: [],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [1, 4] }],
    },
  });
}

describe('the CLI contract (every command)', () => {
  before(async () => {
    cli = (await bundles()).cli;
    await serverBundle(); // the tree-sitter .wasm files lint needs, next to the CLI bundle
    dir = tmpDir('cli-contract');
    writeModelFile(dir, 'mlp.onnx', mlpModel().model);
    writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 1, hidden: 32, ffn: 64, seed: 3 }).model);
    fs.mkdirSync(path.join(dir, 'runs'));
  });

  test('every command has a schema, is in the README with it, and answers --help with exit 0', () => {
    const files = [...schemaFiles().keys()];
    assert.deepEqual(files, COMMANDS.map((c) => `${c}.schema.json`).sort(), 'one schema per command');
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const usage = run(['--help']);
    assert.equal(usage.code, 0);
    for (const c of COMMANDS) {
      assert.match(usage.stdout, new RegExp(`\\n  ${c} `), `inference-lens --help lists ${c}`);
      const schema = schemaFiles().get(`${c}.schema.json`)!;
      assert.equal(schema['$id'], `${c}.schema.json`);
      assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
      assert.ok(readme.includes(`](src/cli/schemas/${c}.schema.json)`), `README links src/cli/schemas/${c}.schema.json`);
      const h = run([c, '--help']);
      assert.equal(h.code, 0, `${c} --help: ${h.stderr}`);
      assert.match(h.stdout, new RegExp(`^Usage: inference-lens ${c}\\b`), `${c} --help prints its usage`);
      assert.equal(h.stderr, '');
    }
  });

  test('the schemas match the TypeScript types they document, and that check catches drift', () => {
    assert.deepEqual(schemaTypeMismatches(), []);
    // The same check on schemas that drifted: a field gone, an optional one required, an enum value missing.
    const files = schemaFiles();
    const s = structuredClone(files.get('summary.schema.json')!) as { properties: Record<string, unknown>; required: string[]; $defs: { ExternalFileSummary: { required: string[] } } };
    delete s.properties['irVersion'];
    s.required = s.required.filter((k) => k !== 'irVersion');
    s.$defs.ExternalFileSummary.required.push('problem');
    files.set('summary.schema.json', s as unknown as Schema);
    const o = structuredClone(files.get('optimize.schema.json')!) as { $defs: { TransformChange: { properties: { action: { enum: string[] } } } } };
    o.$defs.TransformChange.properties.action.enum.pop();
    files.set('optimize.schema.json', o as unknown as Schema);
    const problems = schemaTypeMismatches(files).join('\n');
    assert.match(problems, /\(ModelSummary\)\.irVersion: in the type, not in the schema/);
    assert.match(problems, /problem: optional in the type, required in the schema/);
    assert.match(problems, /changes\[\]\.action: the type allows .*value-info-cleared, the schema (?!.*value-info-cleared)/);
  });

  test('summary, insight, trace, providers --json: valid, and equal to the core and to independent counts', async () => {
    const silero = fixture('silero-vad');
    const s = json<{ nodeCountTotal: number; parse: unknown }>('summary', [silero, '--json']);
    const core = await summarizeModel(silero);
    assert.deepEqual({ ...s, parse: null }, JSON.parse(JSON.stringify({ ...core, parse: null })));
    assert.equal(s.nodeCountTotal, [...independentOpCounts(silero).values()].reduce((a, b) => a + b, 0));

    const cls = manifest.models.find((m) => m.id === 'ppocr-cls')!;
    const dims = cls.expect.insight!.dims;
    const ins = json<{ coverage: { ratio: number }; totals: { macs: number; paramBytes: number } }>('insight', [fixturePath(cls.path), '--dims', Object.entries(dims).map(([k, v]) => `${k}=${v}`).join(','), '--json']);
    assert.deepEqual(ins, JSON.parse(JSON.stringify(insightReport(await readModel(fixturePath(cls.path)), { dims }).report)));
    assert.equal(ins.coverage.ratio, cls.expect.insight!.coverage);
    assert.equal(ins.totals.macs, cls.expect.insight!.macs);
    assert.equal(ins.totals.paramBytes, cls.expect.insight!.paramBytes);

    const alexnet = trace('hta-alexnet-a100');
    const t = json<{ eventCount: number }>('trace', [alexnet, '--json']);
    assert.deepEqual(t, JSON.parse(JSON.stringify(summarizeProfile(await importTraceFile(alexnet)))));
    assert.equal(t.eventCount, rawEvents(alexnet));
    // A TensorBoard log folder: every trace in it, under a versioned envelope.
    const logdir = path.join(dir, 'logdir');
    fs.mkdirSync(logdir);
    for (const id of ['hta-alexnet-a100', 'hta-minitoy-mi250-rocm']) fs.copyFileSync(trace(id), path.join(logdir, path.basename(trace(id))));
    const folder = json<{ folder: string; traces: { file: string; eventCount: number }[] }>('trace', [logdir, '--json']);
    assert.equal(folder.folder, logdir);
    assert.deepEqual(folder.traces.map((x) => [path.basename(x.file), x.eventCount]).sort(), fs.readdirSync(logdir).map((f) => [f, rawEvents(path.join(logdir, f))]).sort());

    const p = json<{ providers: { ep: string; available: boolean }[] }>('providers', ['--json']);
    assert.deepEqual(p.providers.map((x) => x.ep), ['cpu', 'cuda', 'tensorrt', 'webgpu']);
    assert.equal(p.providers[0]!.available, true);
  });

  test('profile and check --json: valid; the numbers are the run file\'s, the ops the model\'s, the budget verdicts follow the numbers', async () => {
    const mlp = path.join(dir, 'mlp.onnx');
    const r = json<{ settings: { timedRuns: number }; result: { latencyMs: ReturnType<typeof latencyStats> & { count: number }; samplesMs: number[] }; model: { inputs: unknown }; operators: { runs: number; byOpType: { opType: string; count: number }[] } }>(
      'profile',
      ['mlp.onnx', '--iterations', '5', '--warmup', '1', '--profiled-runs', '2', '--graph-opt', 'disabled', '--out-dir', 'runs', '--json'],
    );
    assert.equal(r.settings.timedRuns, 5);
    assert.equal(r.result.samplesMs.length, 5);
    assert.deepEqual(r.result.latencyMs, latencyStats(r.result.samplesMs));
    assert.deepEqual(r.model.inputs, (await summarizeModel(mlp)).inputs);
    // With graph optimization off, ORT runs exactly the model's nodes: an independent op count × the profiled runs.
    const ops = independentOpCounts(mlp);
    assert.equal(r.operators.runs, 2);
    assert.deepEqual(Object.fromEntries(r.operators.byOpType.map((o) => [o.opType, o.count])), Object.fromEntries([...ops].map(([op, n]) => [op, n * 2])));
    const saved = fs.readdirSync(path.join(dir, 'runs')).filter((f) => f.endsWith('.ilprof.json'));
    assert.equal(saved.length, 1);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'runs', saved[0]!), 'utf8')), r, 'stdout is the saved run file');

    const c = json<{ pass: boolean; runFile: string; run: { latencyMs: { p50: number } }; checks: { metric: string; limit: number; actual: number; pass: boolean; over: number; unit: string }[] }>(
      'check',
      ['mlp.onnx', '--budget', 'p50<=10s,p50<=1ns,peak_mem>=1B', '--iterations', '3', '--warmup', '0', '--profiled-runs', '0', '--out-dir', 'runs', '--json'],
      1,
    );
    assert.equal(c.pass, false);
    assert.deepEqual(c.checks.map((x) => [x.metric, x.unit, x.pass]), [['p50', 'ms', true], ['p50', 'ms', false], ['peak_mem', 'bytes', true]]);
    assert.equal(c.checks[0]!.actual, c.run.latencyMs.p50);
    assert.equal(c.checks[1]!.over, c.checks[1]!.actual - c.checks[1]!.limit);
    assert.deepEqual(JSON.parse(fs.readFileSync(c.runFile, 'utf8')).result, c.run);
    json('check', ['mlp.onnx', '--budget', 'p50<=10s', '--iterations', '2', '--warmup', '0', '--profiled-runs', '0', '--out-dir', 'runs', '--json'], 0);
  });

  test('optimize and compare --json: every output form valid; counts match the files written', async () => {
    const enc = path.join(dir, 'encoder.onnx');
    const hash = sha256(enc);
    const q = json<{ kind: string; output: string; bytesAfter: number; nodesBefore: number; int8: { nodesQuantized: number } }>('optimize', ['encoder.onnx', '--int8', '--json']);
    assert.equal(q.kind, 'int8');
    assert.equal(q.output, path.join(dir, 'encoder.int8.onnx'));
    assert.equal(q.bytesAfter, fs.statSync(q.output).size);
    assert.equal(q.nodesBefore, [...independentOpCounts(enc).values()].reduce((a, b) => a + b, 0));
    assert.equal(q.int8.nodesQuantized, independentOpCounts(q.output).get('com.microsoft.DynamicQuantizeMatMul'));
    // The MatMuls left are those of two computed values (attention scores), counted independently too.
    assert.equal(q.int8.nodesQuantized + (independentOpCounts(q.output).get('MatMul') ?? 0), independentOpCounts(enc).get('MatMul'));

    const g = json<{ optimized: { outPath: string; sizeBytes: number; level: string } }>('optimize', ['encoder.onnx', '--graph', 'basic', '-o', 'encoder.basic.onnx', '--json']);
    assert.equal(g.optimized.level, 'basic');
    assert.equal(g.optimized.sizeBytes, fs.statSync(path.join(dir, 'encoder.basic.onnx')).size);

    const v = json<{ transformReport: { output: string }; verify: { verdict: string; outputs: { name: string }[] }; comparisonFile: string }>(
      'optimize',
      ['mlp.onnx', '--fp16', '--verify', '--iterations', '2', '--warmup', '0', '--profiled-runs', '1', '--out-dir', 'runs', '--json'],
    );
    assert.equal(v.transformReport.output, path.join(dir, 'mlp.fp16.onnx'));
    assert.deepEqual(v.verify.outputs.map((o) => o.name), ['y']);
    assert.notEqual(v.verify.verdict, 'fail');
    const { transformReport: _t, comparisonFile: _c, ...file } = v;
    assert.deepEqual(JSON.parse(fs.readFileSync(v.comparisonFile, 'utf8')), file, 'stdout is the saved comparison plus the transformation report');

    const st = json<{ structure: { nodes: { a: number; b: number }; opsAdded: string[]; ops: { op: string; a: number; b: number }[] } }>('compare', ['encoder.onnx', 'encoder.int8.onnx', '--structure-only', '--json']);
    assert.deepEqual(st.structure.nodes, { a: mainNodes(enc), b: mainNodes(q.output), delta: mainNodes(q.output) - mainNodes(enc) });
    assert.deepEqual(st.structure.opsAdded, ['com.microsoft.DynamicQuantizeMatMul']);
    const [ca, cb] = [independentOpCounts(enc), independentOpCounts(q.output)];
    assert.deepEqual(
      Object.fromEntries(st.structure.ops.map((o) => [o.op, [o.a, o.b]])),
      Object.fromEntries([...new Set([...ca.keys(), ...cb.keys()])].filter((op) => ca.get(op) !== cb.get(op)).map((op) => [op, [ca.get(op) ?? 0, cb.get(op) ?? 0]])),
    );
    const cmp = json<{ runs: { a: string; b: string }; comparison: { metrics: { key: string; a: number; b: number }[] }; comparisonFile: string }>(
      'compare',
      ['mlp.onnx', 'mlp.fp16.onnx', '--profile', '--iterations', '2', '--warmup', '0', '--profiled-runs', '1', '--out-dir', 'runs', '--json'],
    );
    // The before/after p50 is each saved run's.
    const p50 = cmp.comparison.metrics.find((m) => m.key === 'latency-p50')!;
    const runOf = (name: string) => JSON.parse(fs.readFileSync(path.join(path.dirname(cmp.comparisonFile), name), 'utf8')) as { result: { latencyMs: { p50: number } } };
    assert.deepEqual([p50.a, p50.b], [runOf(cmp.runs.a).result.latencyMs.p50, runOf(cmp.runs.b).result.latencyMs.p50]);
    assert.equal(sha256(enc), hash, 'the input was only read');
  });

  test('lint --json (and --fix --json): valid; findings where the constructs are, exit 1 only with an error-level finding', () => {
    const text = ['import onnxruntime as ort', 'import torch', '', 'session = ort.InferenceSession("model.onnx")', 'model = torch.nn.DataParallel(torch.nn.Linear(4, 4))', ''].join('\n');
    const file = path.join(dir, 'infer.py');
    fs.writeFileSync(file, text);
    const at = (needle: string) => {
      const line = text.split('\n').findIndex((l) => l.includes(needle));
      return [line + 1, text.split('\n')[line]!.indexOf(needle) + 1];
    };
    type Lint = { files: { findings: { ruleId: string; line: number; column: number; severity: string }[]; fixed?: { backup: string } }[]; summary: { findings: number; error: number; fixed: number } };
    const l = json<Lint>('lint', ['infer.py', '--json']);
    const found = l.files[0]!.findings.map((f) => [f.ruleId, f.line, f.column]);
    assert.deepEqual(found, [['ort-providers', ...at('ort.InferenceSession')], ['torch-data-parallel', ...at('torch.nn.DataParallel')]]);
    assert.ok(found.every(([id]) => (RULE_IDS as readonly unknown[]).includes(id)));
    assert.equal(l.summary.findings, 2);
    const err = json<Lint>('lint', ['infer.py', '--rule', 'ort-providers=error', '--json'], 1);
    assert.equal(err.summary.error, 1);
    const fixed = json<Lint>('lint', ['infer.py', '--fix', '--json']);
    assert.equal(fixed.summary.fixed, 1);
    assert.equal(fs.readFileSync(path.resolve(dir, fixed.files[0]!.fixed!.backup), 'utf8'), text);
  });

  test('torch --json: valid; one step per model call, the active ones as scheduled', async (t) => {
    const tp = await torchPython();
    if (!tp.python) return t.skip(tp.skip);
    fs.writeFileSync(path.join(dir, 'tiny.py'), ['import torch', 'm = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU())', 'x = torch.randn(2, 8)', 'for _ in range(6):', '    m(x)', ''].join('\n'));
    const r = json<{ result: { steps: { phase: string }[]; traces: string[] }; traces: { eventCount: number }[] }>('torch', ['tiny.py', '--python', tp.python, '--out', 'torch-out', '--warmup', '0', '--active', '2', '--json']);
    assert.equal(r.result.steps.filter((s) => s.phase === 'active').length, 2);
    assert.equal(r.traces.length, r.result.traces.length);
    const raw = JSON.parse(fs.readFileSync(r.result.traces[0]!, 'utf8')) as { traceEvents: unknown[] };
    assert.equal(r.traces[0]!.eventCount, raw.traceEvents.length);
  });

  test('the schemas are closed: an extra field, a missing one or another schemaVersion is invalid', () => {
    const out = JSON.parse(run(['summary', path.join(dir, 'mlp.onnx'), '--json']).stdout) as Record<string, unknown>;
    assert.equal(schemaErrors('summary', out), '');
    assert.match(schemaErrors('summary', { ...out, extra: 1 }), /must NOT have additional properties/);
    const { nodeCount: _n, ...missing } = out;
    assert.match(schemaErrors('summary', missing), /must have required property 'nodeCount'/);
    assert.match(schemaErrors('summary', { ...out, schemaVersion: 2 }), /must be equal to constant/);
    assert.match(schemaErrors('summary', { ...out, inputs: [{ ...(out['inputs'] as object[])[0], shape: ['batch', 1.5] }] }), /must be/);
  });

  test('bad usage and bad input: exit 2, exactly one stderr line "inference-lens: …", no stack trace, nothing on stdout', () => {
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model at all, just text\n'.repeat(4));
    const model = fs.readFileSync(path.join(dir, 'encoder.onnx'));
    fs.writeFileSync(path.join(dir, 'truncated.onnx'), model.subarray(0, model.length >> 1));
    writeModelFile(dir, 'unknown-op.onnx', unknownOpModel());
    fs.mkdirSync(path.join(dir, 'folder'));
    fs.mkdirSync(path.join(dir, 'empty-logdir'));
    fs.writeFileSync(path.join(dir, 'junk.json'), 'garbage, not JSON\n');
    const gz = fs.readFileSync(trace('hta-alexnet-a100'));
    fs.writeFileSync(path.join(dir, 'truncated.pt.trace.json.gz'), gz.subarray(0, gz.length >> 1));
    fs.writeFileSync(path.join(dir, 'cut.json'), zlib.gunzipSync(gz).subarray(0, 4000));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'print(1)\n');
    fs.writeFileSync(path.join(dir, 'ok.py'), 'x = 1\n');
    const runArgs = ['--iterations', '2', '--warmup', '0', '--profiled-runs', '0', '--out-dir', 'runs'];
    const noCommand = run([]);
    assert.equal(noCommand.code, 2);
    assert.match(noCommand.stdout, /^Usage: inference-lens <command>/, 'the usage on stdout');
    assert.equal(noCommand.stderr, 'inference-lens: no command given. The commands are listed above; inference-lens <command> --help shows the options of one.\n');
    const cases: readonly (readonly string[])[] = [
      ['frobnicate'],
      ['summary', 'missing.onnx'],
      ['summary', 'junk.onnx'],
      ['summary', 'truncated.onnx'],
      ['summary', 'folder'],
      ['summary', 'mlp.onnx', '--bogus'],
      ['summary'],
      ['insight', 'missing.onnx'],
      ['insight', 'junk.onnx'],
      ['insight', 'truncated.onnx'],
      ['insight', 'folder'],
      ['insight', 'mlp.onnx', '--bogus'],
      ['insight', 'mlp.onnx', '--dims'],
      ['insight', 'mlp.onnx', '--dims', 'batch'],
      ['insight', 'mlp.onnx', '--dims', 'nosuchdim=3'],
      ['profile', 'missing.onnx'],
      ['profile', 'junk.onnx'],
      ['profile', 'truncated.onnx'],
      ['profile', 'folder'],
      ['profile', 'mlp.onnx', '--bogus'],
      ['profile', 'mlp.onnx', '--iterations'],
      ['profile', 'mlp.onnx', '--iterations', '0'],
      ['profile', 'mlp.onnx', '--ep', 'tpu'],
      ['profile', 'unknown-op.onnx', ...runArgs],
      ['profile', 'mlp.onnx', '--json', 'folder', ...runArgs],
      ['profile', 'mlp.onnx', '--trace', 'no/such/folder/t.json', ...runArgs],
      ['profile', 'mlp.onnx', '--out-dir', 'ok.py/runs', '--iterations', '2', '--warmup', '0', '--profiled-runs', '0'],
      ['providers', '--bogus'],
      ['check', 'missing.onnx', '--budget', 'p50<=1s'],
      ['check', 'junk.onnx', '--budget', 'p50<=1s'],
      ['check', 'truncated.onnx', '--budget', 'p50<=1s'],
      ['check', 'folder', '--budget', 'p50<=1s'],
      ['check', 'mlp.onnx', '--budget', 'p50<=1s', '--bogus'],
      ['check', 'mlp.onnx', '--budget'],
      ['check', 'mlp.onnx', '--budget', 'p50<=fast'],
      ['check', 'mlp.onnx', '--budget', 'latency_p42<=1ms'],
      ['check', 'mlp.onnx'],
      ['check', 'unknown-op.onnx', '--budget', 'p50<=1s', ...runArgs],
      ['optimize', 'missing.onnx', '--int8'],
      ['optimize', 'junk.onnx', '--int8'],
      ['optimize', 'truncated.onnx', '--fp16'],
      ['optimize', 'folder', '--int8'],
      ['optimize', 'mlp.onnx', '--int8', '--bogus'],
      ['optimize', 'mlp.onnx', '--int8', '-o'],
      ['optimize', 'mlp.onnx', '--fix'],
      ['optimize', 'mlp.onnx', '--fix', 'x:0=zero'],
      ['optimize', 'mlp.onnx'],
      ['optimize', 'mlp.onnx', '--int8', '--fp16'],
      ['optimize', 'mlp.onnx', '--int8', '-o', 'folder', '--force'],
      ['optimize', 'mlp.onnx', '--int8', '-o', 'no/such/folder/m.onnx'],
      ['optimize', 'missing.onnx', '--graph', 'basic'],
      ['optimize', 'junk.onnx', '--graph', 'basic'],
      ['optimize', 'folder', '--graph', 'basic'],
      ['optimize', 'mlp.onnx', '--graph'],
      ['optimize', 'mlp.onnx', '--graph', 'turbo'],
      ['optimize', 'mlp.onnx', '--int8', '--verify', '--iterations'],
      ['compare', 'missing.onnx', 'mlp.onnx'],
      ['compare', 'mlp.onnx', 'junk.onnx'],
      ['compare', 'truncated.onnx', 'mlp.onnx', '--structure-only'],
      ['compare', 'folder', 'mlp.onnx'],
      ['compare', 'mlp.onnx', 'mlp.onnx', '--bogus'],
      ['compare', 'mlp.onnx', 'mlp.onnx', '--seed'],
      ['compare', 'mlp.onnx'],
      ['compare', 'mlp.onnx', 'unknown-op.onnx', ...runArgs],
      ['trace', 'missing.json'],
      ['trace', 'junk.json'],
      ['trace', 'cut.json'],
      ['trace', 'truncated.pt.trace.json.gz'],
      ['trace', 'empty-logdir'],
      ['trace', 'junk.json', '--bogus'],
      ['trace'],
      ['lint', 'missing.py'],
      ['lint', 'notes.txt'],
      ['lint', 'ok.py', '--bogus'],
      ['lint', 'ok.py', '--rule'],
      ['lint', 'ok.py', '--rule', 'ort-providers=loud'],
      ['lint'],
      ['torch', 'missing.py'],
      ['torch', 'folder'],
      ['torch', 'ok.py', '--bogus'],
      ['torch', 'ok.py', '--steps'],
      ['torch', 'ok.py', '--active', '0'],
      ['torch'],
    ];
    const failures: string[] = [];
    for (const args of cases) {
      const r = run(args);
      const what = `inference-lens ${args.join(' ')}`;
      const lines = r.stderr.split('\n');
      if (r.code !== 2) failures.push(`${what}: exit ${r.code}, not 2 (${r.stderr.trim() || r.stdout.slice(0, 200)})`);
      else if (lines.length !== 2 || lines[1] !== '') failures.push(`${what}: ${lines.length - 1} stderr lines, not one: ${JSON.stringify(r.stderr.slice(0, 400))}`);
      else if (!lines[0]!.startsWith('inference-lens: ')) failures.push(`${what}: stderr does not start "inference-lens: ": ${lines[0]}`);
      else if (/^\s+at /m.test(r.stderr) || /internal error/.test(r.stderr)) failures.push(`${what}: a stack trace or an internal error: ${lines[0]}`);
      else if (r.stdout !== '') failures.push(`${what}: printed on stdout before failing: ${r.stdout.slice(0, 200)}`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'folder')), [], 'nothing was written into the folder given as a file');
  });

  test('an internal error or a crash outside the command is still one line, exit 2, no stack trace', () => {
    // A bug in a callback (thrown from a timer, or a rejected promise nobody awaits) while a command runs.
    for (const [name, code] of [
      ['throw.cjs', "setTimeout(() => { throw new TypeError('boom\\n    at fake (x.js:1:1)'); }, 0);"],
      ['reject.cjs', "setTimeout(() => { Promise.reject(new RangeError('bad range')); }, 0);"],
    ] as const) {
      const preload = path.join(dir, name);
      fs.writeFileSync(preload, code);
      const r = spawnSync(process.execPath, ['--require', preload, cli, 'providers'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^inference-lens: internal error: (boom|bad range)\b[^\n]*This is a bug in Inference Lens[^\n]*\n$/);
    }
    // What main() prints for errors that are not usage errors: file-system errors in words, anything else as a bug, always one line.
    let sys: unknown;
    try {
      fs.readFileSync(path.join(dir, 'nope', 'x.json'));
    } catch (e) {
      sys = e;
    }
    assert.equal(failureMessage(sys), `cannot open ${path.join(dir, 'nope', 'x.json')}: no such file or folder. Check the path.`);
    assert.equal(errorLine(failureMessage(new Error('first\n  second\r\nthird'))), 'inference-lens: internal error: first second third. This is a bug in Inference Lens: please report it with the command you ran (inference-lens --version prints the version).\n');
  });

  test('optimize never touches the input: not with --force, not with -o naming it (or its data file) by any path', () => {
    const work = tmpDir('cli-contract-input');
    writeModelFile(work, 'encoder.onnx', transformerModel({ layers: 1, hidden: 32, ffn: 64, seed: 4 }).model);
    const ext = mlpModel({ external: 'weights.data' });
    writeModelFile(work, 'mlp.onnx', ext.model);
    fs.writeFileSync(path.join(work, 'weights.data'), ext.data!);
    fs.symlinkSync('encoder.onnx', path.join(work, 'link.onnx'));
    fs.symlinkSync('weights.data', path.join(work, 'link.data'));
    fs.mkdirSync(path.join(work, 'sub'));
    const inputs = ['encoder.onnx', 'mlp.onnx', 'weights.data'];
    const hashes = () => Object.fromEntries(inputs.map((f) => [f, sha256(path.join(work, f))]));
    const mtimes = () => Object.fromEntries(inputs.map((f) => [f, fs.statSync(path.join(work, f)).mtimeMs]));
    const [h0, m0] = [hashes(), mtimes()];
    const verify = ['--verify', '--iterations', '2', '--warmup', '0', '--profiled-runs', '0', '--out-dir', path.join(work, 'runs')];
    const refused: (readonly string[])[] = [];
    for (const t of [['--int8'], ['--fp16'], ['--fix', 'hidden_states:0=1'], ['--graph', 'basic'], ['--int8', ...verify], ['--graph', 'basic', ...verify]]) {
      for (const o of ['encoder.onnx', './sub/../encoder.onnx', path.join(work, 'encoder.onnx'), 'link.onnx']) {
        for (const force of [[], ['--force']]) refused.push(['encoder.onnx', ...t, '-o', o, ...force]);
      }
    }
    for (const t of [['--int8'], ['--fp16'], ['--fix', 'x:0=1'], ['--graph', 'basic'], ['--fp16', ...verify]]) {
      for (const o of ['weights.data', 'link.data', 'mlp.onnx']) refused.push(['mlp.onnx', ...t, '-o', o, '--force']);
    }
    for (const args of refused) {
      const r = run(['optimize', ...args], work);
      assert.equal(r.code, 2, `optimize ${args.join(' ')} is refused: ${r.stderr}${r.stdout.slice(0, 200)}`);
      assert.match(r.stderr, /^inference-lens: .*(source model|exists)/, args.join(' '));
      assert.deepEqual(hashes(), h0, `optimize ${args.join(' ')} left the inputs as they were`);
    }
    // Successful runs write beside the input and only read it.
    for (const args of [['encoder.onnx', '--int8'], ['encoder.onnx', '--int8', '--force'], ['mlp.onnx', '--fp16'], ['encoder.onnx', '--graph', 'extended'], ['mlp.onnx', '--int8', '--force', ...verify]]) {
      const r = run(['optimize', ...args], work);
      assert.equal(r.code, 0, `optimize ${args.join(' ')}: ${r.stderr}`);
    }
    assert.deepEqual(hashes(), h0);
    assert.deepEqual(mtimes(), m0, 'not even rewritten with the same bytes');
    assert.deepEqual(
      listDir(work).filter((f) => !['runs', 'sub'].includes(f)),
      ['encoder.int8.onnx', 'encoder.onnx', 'encoder.opt.onnx', 'link.data', 'link.onnx', 'mlp.fp16.onnx', 'mlp.int8.onnx', 'mlp.onnx', 'weights.data'],
      'the outputs and nothing else (no temporary files left)',
    );
    assert.deepEqual(listDir(path.join(work, 'sub')), []);
    assert.ok(fs.lstatSync(path.join(work, 'link.onnx')).isSymbolicLink(), 'a symlink to the input is not replaced either');
  });

  test('the schema files are valid JSON Schema 2020-12 documents that ajv compiles in strict mode', () => {
    for (const f of fs.readdirSync(SCHEMA_DIR)) {
      const c = f.replace(/\.schema\.json$/, '');
      assert.doesNotThrow(() => schemaErrors(c, {}), f);
    }
  });
});
