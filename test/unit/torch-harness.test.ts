/**
 * The PyTorch harness (src/runner/torch_harness.py) through its runner (src/runner/torch-runner.ts).
 * Its own logic — arguments, loading a script, listing functions, the messages when Python or
 * torch is missing — runs on the machine's python3. The profiling runs use a Python with real torch
 * (CPU activities; `npm test` sets one up) and check the traces it writes with the importer and an
 * independent count over the raw JSON.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { bestSourceMatch, sourceFramesOf } from '../../src/core/profile/source';
import { importTraceFile } from '../../src/core/trace';
import { chooseInterpreter, listScriptFunctions, runTorchHarness, TorchRunError, type HarnessEvent } from '../../src/runner/torch-runner';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { HARNESS, hasTorch, PYTHON3, torchPython } from '../helpers/python';

const MODEL_SCRIPT = `import sys
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(64, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


model = Net().eval()
x = torch.randn(8, 64)


def infer():
    with torch.inference_mode():
        return model(x)


if __name__ == "__main__":
    print("args:", sys.argv[1:])
    for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 40):
        with torch.inference_mode():
            y = model(x)
    print("finished loop")
`;
/** 1-based line of `def forward` in MODEL_SCRIPT (torch records a Python frame at its function's first line). */
const FORWARD_LINE = MODEL_SCRIPT.split('\n').findIndex((l) => l.includes('def forward')) + 1;

function write(dir: string, name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

async function rejects(p: Promise<unknown>, code: string): Promise<TorchRunError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TorchRunError, `expected a TorchRunError, got ${String(e)}`);
    assert.equal(e.code, code, `${e.code}: ${e.message}`);
    assert.ok(e.message.length > 10);
    return e;
  }
  assert.fail(`expected ${code}, it succeeded`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits up to 5 s for these processes to be gone; returns the ones still alive. */
async function survivors(pids: readonly number[]): Promise<number[]> {
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
  return pids.filter(alive);
}

/** Counts in the raw trace, independently of the importer. */
function rawCounts(file: string): { steps: number; ops: Map<string, number>; total: number } {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: { ph: string; cat?: string; name?: string }[] };
  const ops = new Map<string, number>();
  let steps = 0;
  for (const e of doc.traceEvents) {
    if (e.ph !== 'X') continue;
    if (e.name?.startsWith('ProfilerStep#')) steps++;
    if (e.cat === 'cpu_op' && e.name) ops.set(e.name, (ops.get(e.name) ?? 0) + 1);
  }
  return { steps, ops, total: doc.traceEvents.length };
}

describe('harness logic on the machine python3', () => {
  test('lists top-level functions with the arguments a call needs, without running the script', async () => {
    const dir = tmpDir('harness');
    const marker = path.join(dir, 'ran');
    const script = write(
      dir,
      'fns.py',
      `open(${JSON.stringify(marker)}, "w").write("x")\n` +
        'def a():\n    pass\n\n' +
        'def b(x, y=1):\n    """Doc line.\n\n    More."""\n\n' +
        'def c(*, k):\n    pass\n\n' +
        'async def d():\n    pass\n\n' +
        'class K:\n    def method(self):\n        pass\n\n' +
        'if True:\n    def nested():\n        pass\n',
    );
    const fns = await listScriptFunctions(PYTHON3, HARNESS, script);
    assert.deepEqual(
      fns.map((f) => [f.name, f.line, f.requiredArgs, f.async]),
      [
        ['a', 2, 0, false],
        ['b', 5, 1, false],
        ['c', 10, 1, false],
        ['d', 13, 0, true],
      ],
    );
    assert.equal(fns[1]!.doc, 'Doc line.');
    assert.equal(fs.existsSync(marker), false, 'listing must not execute the script');
  });

  test('a syntax error and a missing script are reported with where and what to do', async () => {
    const dir = tmpDir('harness');
    const bad = write(dir, 'bad.py', 'x = 1\ndef f(:\n    pass\n');
    const e = await rejects(listScriptFunctions(PYTHON3, HARNESS, bad), 'script-syntax');
    assert.match(e.message, /bad\.py:2: syntax error/);
    await rejects(listScriptFunctions(PYTHON3, HARNESS, path.join(dir, 'nope.py')), 'script-missing');
  });

  test('bad arguments exit 2 with one clear line', () => {
    for (const [args, want] of [
      [['--out', '/tmp/x', '--active', '0', 's.py'], /--active: must be 1 or more, got 0/],
      [['--out', '/tmp/x', '--wait', 'two', 's.py'], /--wait: 'two' is not a whole number/],
      [['--out', '/tmp/x', '--function', 'f', '--steps', 'none', 's.py'], /cannot be combined/],
      [['--function', 'f', 's.py'], /--out DIR is required/],
      [['--out', '/tmp/x', '--function', 'not a name', 's.py'], /top-level function name/],
    ] as const) {
      const r = spawnSync(PYTHON3, [HARNESS, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      const ev = JSON.parse(r.stdout.trim().replace('@@inference-lens ', '')) as HarnessEvent;
      assert.equal(ev.event, 'error');
    }
  });

  test('without torch: says so, names the interpreter and the install step, writes nothing', { skip: hasTorch(PYTHON3) ? 'python3 has torch here' : undefined }, async () => {
    const dir = tmpDir('harness');
    const script = write(dir, 'model.py', MODEL_SCRIPT);
    const out = path.join(dir, 'out');
    const e = await rejects(runTorchHarness({ python: PYTHON3, harness: HARNESS, script, steps: { kind: 'forward' }, outDir: out }), 'torch-missing');
    assert.match(e.message, /PyTorch is not installed for .*python/);
    assert.match(e.hint, /-m pip install torch/);
    assert.deepEqual(fs.readdirSync(out), []);
  });

  test('a missing interpreter says how to choose one', async () => {
    const dir = tmpDir('harness');
    const e = await rejects(
      runTorchHarness({ python: path.join(dir, 'no-such-python'), harness: HARNESS, script: write(dir, 's.py', ''), steps: { kind: 'forward' }, outDir: path.join(dir, 'o') }),
      'python-missing',
    );
    assert.match(e.hint, /Python: Select Interpreter/);
    assert.match(e.hint, /inferenceLens\.python\.interpreter/);
  });

  test('interpreter order: the Python extension, then the setting, then python3', () => {
    assert.deepEqual(chooseInterpreter({ pythonExtension: '/venv/bin/python', setting: '/usr/bin/python3.12' }), { python: '/venv/bin/python', source: 'python-extension' });
    assert.deepEqual(chooseInterpreter({ pythonExtension: ' ', setting: '/usr/bin/python3.12' }), { python: '/usr/bin/python3.12', source: 'setting' });
    assert.deepEqual(chooseInterpreter({}), { python: 'python3', source: 'default' });
  });
});

describe('profiling with real torch (CPU)', () => {
  let python = '';
  let skip: string | undefined;
  before(async () => {
    const t = await torchPython();
    python = t.python ?? '';
    skip = t.skip;
  });
  const needTorch = (t: { skip: (m: string) => void }): boolean => {
    if (skip) t.skip(skip);
    return !skip;
  };

  test('script mode: one step per outermost module call, stopped once the schedule is done; the trace imports with frames back to the script', async (t) => {
    if (!needTorch(t)) return;
    const dir = tmpDir('harness');
    const script = write(dir, 'model.py', MODEL_SCRIPT);
    const events: HarnessEvent[] = [];
    let output = '';
    const r = await runTorchHarness({
      python,
      harness: HARNESS,
      script,
      scriptArgs: ['40'],
      steps: { kind: 'forward' },
      schedule: { wait: 1, warmup: 2, active: 3, repeat: 1 },
      outDir: path.join(dir, 'out'),
      onEvent: (e) => events.push(e),
      onOutput: (s) => (output += s),
    });
    assert.equal(r.mode, 'steps-forward');
    assert.deepEqual(r.args, ['40']);
    assert.deepEqual(r.steps.map((s) => s.phase), ['wait', 'warmup', 'warmup', 'active', 'active', 'active']);
    assert.ok(r.steps.every((s) => s.ms > 0));
    assert.equal(r.stoppedAfterSchedule, true);
    assert.match(output, /args: \['40'\]/);
    assert.doesNotMatch(output, /finished loop/, 'the script is stopped after the schedule');
    assert.equal(r.device, 'cpu');
    assert.ok(r.deviceName.length > 0);
    assert.ok(r.peakRssBytes! > 50 * 2 ** 20);
    assert.equal(r.traces.length, 1);
    assert.deepEqual(events.filter((e) => e.event === 'step').length, 6);
    assert.ok(events.some((e) => e.event === 'start') && events.some((e) => e.event === 'done'));

    const raw = rawCounts(r.traces[0]!);
    assert.equal(raw.steps, 3, 'ProfilerStep# events: the active steps');
    assert.equal(raw.ops.get('aten::linear'), 6, '2 Linear layers x 3 active steps');
    const p = await importTraceFile(r.traces[0]!);
    assert.equal(p.source.eventCount, raw.total);
    assert.equal(p.categoryCounts['cpu_op'], [...raw.ops.values()].reduce((a, b) => a + b, 0));
    // with_stack: an aten::linear slice leads back to Net.forward in the user's script.
    const names = p.strings;
    let found = false;
    for (let i = 0; i < p.slices.name.length && !found; i++) {
      if (names[p.slices.name[i]!] !== 'aten::linear') continue;
      // torch shortens paths under sys.path entries (the script's folder): match as Go to source does.
      found = sourceFramesOf(p, i).some((f) => bestSourceMatch(f.file, [script]) === script && f.line === FORWARD_LINE);
    }
    assert.ok(found, `a frame at ${script}:${FORWARD_LINE}`);
  });

  test('function mode: the module is imported (its __main__ block does not run) and the function called once per step', async (t) => {
    if (!needTorch(t)) return;
    const dir = tmpDir('harness');
    const script = write(dir, 'model.py', MODEL_SCRIPT);
    let output = '';
    const r = await runTorchHarness({
      python,
      harness: HARNESS,
      script,
      steps: { kind: 'function', name: 'infer' },
      schedule: { wait: 0, warmup: 1, active: 2, repeat: 1 },
      outDir: path.join(dir, 'out'),
      onOutput: (s) => (output += s),
    });
    assert.equal(r.mode, 'function');
    assert.equal(r.function, 'infer');
    assert.equal(r.steps.length, 3);
    assert.doesNotMatch(output, /args:/);
    const raw = rawCounts(r.traces[0]!);
    assert.equal(raw.steps, 2);
    assert.equal(raw.ops.get('aten::linear'), 4);
    await rejects(runTorchHarness({ python, harness: HARNESS, script, steps: { kind: 'function', name: 'nope' }, outDir: path.join(dir, 'o2') }), 'function-missing');
  });

  test('whole run (no schedule): every call is in the trace and the script runs to its end', async (t) => {
    if (!needTorch(t)) return;
    const dir = tmpDir('harness');
    const script = write(dir, 'model.py', MODEL_SCRIPT);
    let output = '';
    const r = await runTorchHarness({ python, harness: HARNESS, script, scriptArgs: ['25'], steps: { kind: 'none' }, outDir: path.join(dir, 'out'), onOutput: (s) => (output += s) });
    assert.equal(r.mode, 'whole-run');
    assert.equal(r.schedule, null);
    assert.match(output, /finished loop/);
    assert.equal(rawCounts(r.traces[0]!).ops.get('aten::linear'), 50);
  });

  test('errors: the script raising (with where), too few steps, CUDA asked for on a CPU build', async (t) => {
    if (!needTorch(t)) return;
    const dir = tmpDir('harness');
    const raising = write(dir, 'raising.py', 'import torch\n\nm = torch.nn.Linear(2, 2)\nm(torch.ones(1, 2))\nraise ValueError("bad input shape")\n');
    let output = '';
    const e = await rejects(
      runTorchHarness({ python, harness: HARNESS, script: raising, steps: { kind: 'forward' }, outDir: path.join(dir, 'o1'), onOutput: (s) => (output += s) }),
      'script-error',
    );
    assert.match(e.message, /ValueError: bad input shape at .*raising\.py:5/);
    assert.deepEqual(e.location, { file: raising, line: 5 });
    assert.match(output, /Traceback/);

    const short = write(dir, 'short.py', 'import torch\nm = torch.nn.Linear(2, 2)\nm(torch.ones(1, 2))\n');
    const e2 = await rejects(runTorchHarness({ python, harness: HARNESS, script: short, steps: { kind: 'forward' }, outDir: path.join(dir, 'o2') }), 'no-steps');
    assert.match(e2.message, /finished after 1 step\(s\); the schedule needs 5/);

    const noModule = write(dir, 'plain.py', 'import torch\nprint(torch.ones(3).sum())\n');
    const e3 = await rejects(runTorchHarness({ python, harness: HARNESS, script: noModule, steps: { kind: 'forward' }, outDir: path.join(dir, 'o3') }), 'no-steps');
    assert.match(e3.hint, /No nn\.Module call was seen/);

    const hasCuda = spawnSync(python, ['-c', 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)']).status === 0;
    if (!hasCuda) {
      const script = write(dir, 'model.py', MODEL_SCRIPT);
      const e4 = await rejects(runTorchHarness({ python, harness: HARNESS, script, steps: { kind: 'forward' }, device: 'cuda', outDir: path.join(dir, 'o4') }), 'cuda-missing');
      assert.match(e4.hint, /CUDA build of PyTorch/);
    }
  });

  test('cancel and timeout stop the whole process tree (the script and its children)', async (t) => {
    if (!needTorch(t)) return;
    const dir = tmpDir('harness');
    const script = write(
      dir,
      'spawns.py',
      'import os, subprocess, time\np = subprocess.Popen(["sleep", "300"])\nprint("pids", os.getpid(), p.pid, flush=True)\ntime.sleep(300)\n',
    );
    for (const how of ['cancel', 'timeout'] as const) {
      const ac = new AbortController();
      let pids: number[] = [];
      const started = Date.now();
      const run = runTorchHarness({
        python,
        harness: HARNESS,
        script,
        steps: { kind: 'none' },
        outDir: path.join(dir, how),
        signal: ac.signal,
        timeoutMs: how === 'timeout' ? 12_000 : 120_000,
        onOutput: (s) => {
          const m = /pids (\d+) (\d+)/.exec(s);
          if (m) {
            pids = [Number(m[1]), Number(m[2])];
            if (how === 'cancel') ac.abort();
          }
        },
      });
      await rejects(run, how === 'cancel' ? 'cancelled' : 'timeout');
      assert.equal(pids.length, 2, 'the script started and printed its pids');
      assert.deepEqual(await survivors(pids), [], `${how}: the python process and its sleep child are gone`);
      assert.ok(Date.now() - started < 60_000);
    }
  });
});

test('the caller exiting takes the script and its children along (they run in their own process group)', async (t) => {
  const tp = await torchPython();
  if (tp.python === undefined) return t.skip(tp.skip);
  const dir = tmpDir('harness-exit');
  const script = write(dir, 'spawns.py', 'import os, subprocess, time\np = subprocess.Popen(["sleep", "300"])\nprint("pids", os.getpid(), p.pid, flush=True)\ntime.sleep(300)\n');
  const runner = path.resolve(__dirname, '..', '..', 'src', 'runner', 'torch-runner.ts');
  // A caller process that starts a run and exits as soon as the script is up (as an editor window closing would).
  const caller = `const { runTorchHarness } = require(${JSON.stringify(runner)});
runTorchHarness({ python: ${JSON.stringify(tp.python)}, harness: ${JSON.stringify(HARNESS)}, script: ${JSON.stringify(script)}, steps: { kind: 'none' }, outDir: ${JSON.stringify(path.join(dir, 'out'))},
  onOutput: (s) => { const m = /pids (\\d+) (\\d+)/.exec(s); if (m) { console.log(m[1] + ' ' + m[2]); process.exit(0); } } }).catch((e) => { console.error(e.message); process.exit(3); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', caller], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const pids = r.stdout.trim().split(' ').map(Number);
  assert.equal(pids.length, 2);
  assert.deepEqual(await survivors(pids), [], 'the python process and its sleep child are gone');
});

describe('inference-lens torch (the CLI over the same runner)', () => {
  const cli = async (args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync(process.execPath, [(await bundles()).cli, 'torch', ...args], { encoding: 'utf8', timeout: 180_000, env });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('bad usage and a missing torch exit 2 with one clear line', async () => {
    const dir = tmpDir('harness-cli');
    const script = write(dir, 'model.py', MODEL_SCRIPT);
    for (const [args, want] of [
      [[], /torch takes one script/],
      [[script, '--active', '0'], /--active takes a whole number ≥ 1, got '0'/],
      [[script, '--steps', 'some'], /--steps takes forward or none/],
      [[script, '--function', 'infer', '--steps', 'none'], /cannot be combined/],
      [[script, '--bogus'], /unknown option '--bogus'/],
    ] as const) {
      const r = await cli([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    if (!hasTorch(PYTHON3)) {
      const r = await cli([script, '--python', PYTHON3, '--out', path.join(dir, 'o')]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /PyTorch is not installed for .*-m pip install torch/);
    }
  });

  test('--json: result.json and the trace summary, counts matching the raw trace', async (t) => {
    const tp = await torchPython();
    if (tp.python === undefined) return t.skip(tp.skip);
    const dir = tmpDir('harness-cli');
    const script = write(dir, 'model.py', MODEL_SCRIPT);
    const r = await cli([script, '--python', tp.python, '--out', path.join(dir, 'out'), '--warmup', '0', '--active', '2', '--json', '--', '30']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { result: { steps: { phase: string }[]; traces: string[]; args: string[] }; resultPath: string; traces: { eventCount: number; categories: { category: string; count: number }[]; topOperators: { name: string }[] }[] };
    assert.deepEqual(j.result.args, ['30']);
    assert.deepEqual(j.result.steps.map((s) => s.phase), ['wait', 'active', 'active']);
    assert.equal(j.resultPath, path.join(dir, 'out', 'result.json'));
    assert.match(r.stderr, /args: \['30'\]/, "the script's output goes to stderr");
    const raw = rawCounts(j.result.traces[0]!);
    assert.equal(raw.steps, 2);
    assert.equal(j.traces.length, 1);
    assert.equal(j.traces[0]!.eventCount, raw.total);
    assert.equal(j.traces[0]!.categories.find((c) => c.category === 'cpu_op')?.count, [...raw.ops.values()].reduce((a, b) => a + b, 0));
  });
});
