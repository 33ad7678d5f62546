/** Typed access to the extension's settings (`contributes.configuration` in package.json). */
import * as vscode from 'vscode';
import type { OrtSessionSettings } from '../core/results/ort-run';

export interface ProfileSettings {
  /** Runs before the timed ones, not measured. */
  readonly warmupRuns: number;
  /** Runs recorded by ORT's profiler for the per-operator breakdown (0 = none). */
  readonly profiledRuns: number;
  /** Stop the ONNX Runtime worker after this long. */
  readonly timeoutMs: number;
  /** ONNX Runtime session options, without the free-dimension overrides. */
  readonly session: OrtSessionSettings;
  /** Also give the dims to ORT as free-dimension overrides (shapes fixed when the session is created). */
  readonly dimsAsFreeDimensionOverrides: boolean;
}

const GRAPH_OPT_LEVELS: readonly OrtSessionSettings['graphOptimizationLevel'][] = ['disabled', 'basic', 'extended', 'all'];

/** Reads an integer setting, falling back to `fallback` when it is missing or out of range. */
function int(config: vscode.WorkspaceConfiguration, key: string, fallback: number, min: number): number {
  const v = config.get<unknown>(key);
  return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : fallback;
}

function bool(config: vscode.WorkspaceConfiguration, key: string, fallback: boolean): boolean {
  const v = config.get<unknown>(key);
  return typeof v === 'boolean' ? v : fallback;
}

export function profileSettings(scope?: vscode.Uri): ProfileSettings {
  const c = vscode.workspace.getConfiguration('inferenceLens.profile', scope);
  const level = c.get<unknown>('graphOptimizationLevel');
  const intra = int(c, 'intraOpThreads', 0, 0);
  const inter = int(c, 'interOpThreads', 0, 0);
  return {
    warmupRuns: int(c, 'warmupRuns', 10, 0),
    profiledRuns: int(c, 'profiledRuns', 10, 0),
    timeoutMs: int(c, 'timeoutSeconds', 600, 1) * 1000,
    session: {
      graphOptimizationLevel: GRAPH_OPT_LEVELS.find((l) => l === level) ?? 'all',
      enableCpuMemArena: bool(c, 'memoryArena', true),
      ...(intra ? { intraOpNumThreads: intra } : {}),
      ...(inter ? { interOpNumThreads: inter } : {}),
    },
    dimsAsFreeDimensionOverrides: bool(c, 'freeDimensionOverrides', false),
  };
}

export interface TorchSettings {
  /** The interpreter setting (`inferenceLens.python.interpreter`); empty when unset. */
  readonly interpreter: string;
  readonly schedule: { readonly wait: number; readonly warmup: number; readonly active: number; readonly repeat: number };
  readonly device: 'auto' | 'cpu' | 'cuda';
  readonly withStack: boolean;
  readonly profileMemory: boolean;
  readonly recordShapes: boolean;
  readonly timeoutMs: number;
}

const TORCH_DEVICES: readonly TorchSettings['device'][] = ['auto', 'cpu', 'cuda'];

export function torchSettings(scope?: vscode.Uri): TorchSettings {
  const c = vscode.workspace.getConfiguration('inferenceLens.torch', scope);
  const device = c.get<unknown>('device');
  const interpreter = vscode.workspace.getConfiguration('inferenceLens.python', scope).get<unknown>('interpreter');
  return {
    interpreter: typeof interpreter === 'string' ? interpreter : '',
    schedule: { wait: int(c, 'wait', 1, 0), warmup: int(c, 'warmup', 1, 0), active: int(c, 'active', 3, 1), repeat: int(c, 'repeat', 1, 1) },
    device: TORCH_DEVICES.find((d) => d === device) ?? 'auto',
    withStack: bool(c, 'withStack', true),
    profileMemory: bool(c, 'profileMemory', true),
    recordShapes: bool(c, 'recordShapes', true),
    timeoutMs: int(c, 'timeoutSeconds', 1800, 1) * 1000,
  };
}
