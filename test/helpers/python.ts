/** Pythons for the PyTorch harness tests: the machine's python3, and one with torch when there is one. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = path.resolve(__dirname, '..', '..');
export const HARNESS = path.join(REPO, 'src', 'runner', 'torch_harness.py');

/** The machine's python3 (the harness's own logic runs on it, torch or not). */
export const PYTHON3 = 'python3';

/** Whether `python` imports torch. */
export function hasTorch(python: string): boolean {
  return spawnSync(python, ['-c', 'import torch'], { timeout: 120_000 }).status === 0;
}

/**
 * A Python with torch (set up by `npm test`, or $INFERENCE_LENS_TORCH_PYTHON), or why there is none
 * — for `test(..., { skip })`, so a machine without torch says so instead of passing silently.
 */
export async function torchPython(): Promise<{ python: string; skip?: undefined } | { python?: undefined; skip: string }> {
  const tools = (await import(pathToFileURL(path.join(REPO, 'src', 'tools', 'torch-python.mjs')).href)) as { findTorchPython(): string | undefined };
  const python = tools.findTorchPython();
  return python ? { python } : { skip: 'no Python with torch here (npm test sets one up; or set INFERENCE_LENS_TORCH_PYTHON)' };
}
