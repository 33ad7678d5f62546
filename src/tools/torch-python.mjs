// A Python with PyTorch for the tests that run the PyTorch harness for real (CPU profiling).
//
// Order: $INFERENCE_LENS_TORCH_PYTHON; a venv made here before (<tools>/torch-venv); `python3` when
// it already imports torch; else a new venv (--system-site-packages, so torch's pure-Python
// dependencies installed for python3 are reused) with `pip install torch` from a local wheel folder
// ($INFERENCE_LENS_TORCH_WHEELS, default /opt/wheels: offline machines) or, failing that, the index.
// When none of this works the torch tests skip and say why; the tests that need no torch still run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toolsDir } from './code-server.mjs';

export const TORCH_PYTHON_ENV = 'INFERENCE_LENS_TORCH_PYTHON';

/** @param {string} python */
function importsTorch(python) {
  const r = spawnSync(python, ['-c', 'import torch, torch.profiler; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The venv's interpreter, where a previous setup made one. */
export function torchVenvPython(tools = toolsDir()) {
  return path.join(tools, 'torch-venv', 'bin', 'python');
}

/** A Python that imports torch, without installing anything; undefined when there is none. */
export function findTorchPython() {
  const candidates = [process.env[TORCH_PYTHON_ENV], torchVenvPython(), 'python3'].filter(Boolean);
  for (const c of candidates) if ((c === 'python3' || fs.existsSync(c)) && importsTorch(c)) return c;
  return undefined;
}

/**
 * Finds or makes a Python with torch. Returns { python, version } or { reason } (why not, for the
 * skip message). Prints what it does.
 * @returns {{ python: string, version: string } | { reason: string }}
 */
export function ensureTorchPython(log = console.log) {
  const found = findTorchPython();
  if (found) return { python: found, version: importsTorch(found) ?? '?' };
  const venv = path.join(toolsDir(), 'torch-venv');
  const py = torchVenvPython();
  log(`PyTorch for the harness tests: making ${venv}`);
  fs.rmSync(venv, { recursive: true, force: true });
  const mk = spawnSync('python3', ['-m', 'venv', '--system-site-packages', venv], { encoding: 'utf8' });
  if (mk.status !== 0) return { reason: `python3 -m venv failed: ${(mk.stderr || mk.error?.message || '').trim().split('\n').pop()}` };
  const wheels = process.env.INFERENCE_LENS_TORCH_WHEELS ?? '/opt/wheels';
  const attempts = [];
  if (fs.existsSync(wheels) && fs.readdirSync(wheels).some((f) => /^torch-.*\.whl$/.test(f))) {
    // --no-deps: the wheel folder may hold torch alone; its dependencies come from the system site packages.
    attempts.push(['--no-index', '--find-links', wheels, '--no-deps', 'torch']);
  }
  attempts.push(['--index-url', 'https://download.pytorch.org/whl/cpu', 'torch']);
  let last = '';
  for (const a of attempts) {
    const r = spawnSync(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--timeout', '20', '--retries', '0', ...a], {
      encoding: 'utf8',
      timeout: 15 * 60_000,
    });
    const version = r.status === 0 ? importsTorch(py) : undefined;
    if (version) {
      log(`PyTorch ${version} ready in ${venv}`);
      return { python: py, version };
    }
    last = (r.stderr || r.stdout || r.error?.message || '').trim().split('\n').slice(-1)[0] ?? '';
  }
  return { reason: `could not install torch (${last || 'import torch failed after install'}); set ${TORCH_PYTHON_ENV} to a Python that has torch` };
}
