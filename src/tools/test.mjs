// `npm test`: the one command that runs every test, on a developer machine or a fresh CI clone.
//
//   npm test                      setup if needed, typecheck, build, package, all tiers
//   npm test -- --unit            one tier (also --server, --webview, --e2e; they combine)
//   npm test -- --skip-setup      do not install anything (npm ci, chromium, code-server)
//
// Setup, only when missing: `npm ci` (node_modules absent or not matching package-lock.json),
// a Python with PyTorch for the harness tests (src/tools/torch-python.mjs; unit tier),
// `apt-get install chromium` (e2e), Node 24 + code-server in the tools folder outside the repo (e2e;
// see src/tools/code-server.mjs). Then typecheck, build, package, and ONE node:test run over the
// tiers' files, so the output ends with the test runner's summary (`# pass N`, `# fail N`).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeModulesStale, NPM_CI } from './node-modules.mjs';
import { ensureTorchPython, TORCH_PYTHON_ENV } from './torch-python.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIERS = ['unit', 'server', 'webview', 'e2e'];
const VSIX = path.join(REPO, 'out', 'inference-lens-linux-x64.vsix');
const CHROMIUM = '/usr/bin/chromium';

const argv = process.argv.slice(2);
const unknown = argv.filter((a) => !['--skip-setup', '--help', '-h', ...TIERS.map((t) => `--${t}`)].includes(a));
if (argv.includes('--help') || argv.includes('-h') || unknown.length) {
  if (unknown.length) console.error(`unknown option(s): ${unknown.join(' ')}`);
  console.error('usage: npm test -- [--unit] [--server] [--webview] [--e2e] [--skip-setup]');
  process.exit(unknown.length ? 2 : 0);
}
const picked = TIERS.filter((t) => argv.includes(`--${t}`));
const tiers = picked.length ? picked : TIERS;
const skipSetup = argv.includes('--skip-setup');
const wantE2e = tiers.includes('e2e');
const wantBrowser = wantE2e || tiers.includes('webview');

const timings = [];
const say = (msg) => console.log(`\n=== ${msg}`);

function run(title, cmd, args, opts = {}) {
  say(title);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: REPO, stdio: 'inherit', ...opts });
  const s = (Date.now() - t0) / 1000;
  timings.push([title, s]);
  if (r.error) throw new Error(`${title}: ${r.error.message}`);
  return r.status ?? 1;
}

function mustRun(title, cmd, args, opts) {
  const code = run(title, cmd, args, opts);
  if (code !== 0) fail(`${title} failed (exit ${code})`);
}

function fail(msg) {
  printTimings();
  console.error(`\nnpm test: ${msg}`);
  process.exit(1);
}

function printTimings() {
  if (!timings.length) return;
  console.log('\n=== timings');
  for (const [t, s] of timings) console.log(`  ${s.toFixed(1).padStart(7)} s  ${t}`);
}

function setup() {
  const stale = nodeModulesStale(REPO);
  if (stale) mustRun(`npm ci (${stale})`, 'npm', NPM_CI.args, { env: NPM_CI.env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (tiers.includes('unit')) {
    // The PyTorch harness tests run torch for real (CPU); without it they skip and say why.
    const t0 = Date.now();
    const torch = ensureTorchPython((m) => say(m));
    if ('python' in torch) process.env[TORCH_PYTHON_ENV] = torch.python;
    else say(`no PyTorch for the harness tests: ${torch.reason}`);
    timings.push(['python with torch', (Date.now() - t0) / 1000]);
  }
  if (!wantBrowser) return;
  return import('./code-server.mjs').then(async (cs) => {
    if (!fs.existsSync(CHROMIUM)) {
      say('chromium is missing: apt-get install chromium');
      const t0 = Date.now();
      cs.aptInstall(['chromium']);
      timings.push(['apt-get install chromium', (Date.now() - t0) / 1000]);
    }
    if (!wantE2e) return;
    say('code-server (Node 24 + code-server, in the tools folder outside the repo)');
    const t0 = Date.now();
    await cs.ensureInstalled();
    timings.push(['code-server ready', (Date.now() - t0) / 1000]);
  });
}

function testFiles() {
  const files = [];
  for (const t of tiers) {
    const dir = path.join(REPO, 'test', t);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.ts')) files.push(path.posix.join('test', t, f));
  }
  return files;
}

const started = Date.now();
try {
  if (!skipSetup) await setup();
  else if (!fs.existsSync(path.join(REPO, 'node_modules'))) fail('node_modules is missing (run without --skip-setup, or npm ci)');

  mustRun('typecheck', 'npm', ['run', '--silent', 'typecheck']);
  mustRun('build', 'npm', ['run', '--silent', 'build']);
  if (wantE2e) {
    mustRun('package', 'npm', ['run', '--silent', 'package']);
    if (!fs.existsSync(VSIX)) fail(`npm run package did not produce ${path.relative(REPO, VSIX)}`);
  }

  const files = testFiles();
  if (!files.length) fail(`no test files for ${tiers.join(', ')}`);
  fs.mkdirSync(path.join(REPO, 'test-results'), { recursive: true });
  const tap = path.join(REPO, 'test-results', 'tests.tap');
  const code = run(
    `tests: ${tiers.join(', ')} (${files.length} files)`,
    process.execPath,
    [
      '--import', 'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { env: process.env.CI ? { ...process.env, NO_COLOR: '1' } : process.env },
  );
  printTimings();
  console.log(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  total`);
  // End with the runner's summary in its plain form (# tests, # pass, # fail, ...).
  const summary = fs.existsSync(tap)
    ? fs.readFileSync(tap, 'utf8').split('\n').filter((l) => /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(l))
    : [];
  if (summary.length) console.log(`\n${summary.join('\n')}`);
  if (code !== 0) console.error(`\nnpm test: tests failed (exit ${code})${wantE2e ? '; screenshots in test-results/e2e/' : ''}`);
  process.exit(code);
} catch (e) {
  fail(e instanceof Error ? e.stack ?? e.message : String(e));
}
