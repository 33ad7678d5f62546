/** Typed access to the extension's settings (`contributes.configuration` in package.json). */
import * as vscode from 'vscode';

export interface ProfileSettings {
  /** Runs before the timed ones, not measured. */
  readonly warmupRuns: number;
  /** Runs recorded by ORT's profiler for the per-operator breakdown (0 = none). */
  readonly profiledRuns: number;
  /** Stop the ONNX Runtime worker after this long. */
  readonly timeoutMs: number;
}

/** Reads an integer setting, falling back to `fallback` when it is missing or out of range. */
function int(config: vscode.WorkspaceConfiguration, key: string, fallback: number, min: number): number {
  const v = config.get<unknown>(key);
  return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : fallback;
}

export function profileSettings(scope?: vscode.Uri): ProfileSettings {
  const c = vscode.workspace.getConfiguration('inferenceLens.profile', scope);
  return {
    warmupRuns: int(c, 'warmupRuns', 10, 0),
    profiledRuns: int(c, 'profiledRuns', 10, 0),
    timeoutMs: int(c, 'timeoutSeconds', 600, 1) * 1000,
  };
}
