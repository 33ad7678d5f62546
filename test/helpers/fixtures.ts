/** Test helpers: the fixtures manifest and an independent ONNX decoder (protobufjs via onnx-proto). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';

export const REPO = path.resolve(__dirname, '..', '..');

export interface ModelFixture {
  readonly id: string;
  readonly path: string;
  readonly package: string;
  readonly description: string;
  readonly expect: {
    readonly producer?: string;
    readonly irVersion?: number;
    readonly mainGraphNodes?: number;
    readonly hasSubgraphs?: boolean;
    readonly inputs?: readonly string[];
    readonly outputs?: readonly string[];
    readonly weightsInConstants?: boolean;
    /** Model insight figures for these dims (coverage ratio, total MACs, bytes of weights read by nodes). */
    readonly insight?: { readonly dims: Readonly<Record<string, number>>; readonly coverage: number; readonly macs: number; readonly paramBytes: number };
  };
}

interface Manifest {
  readonly models: readonly ModelFixture[];
  readonly traces: readonly { readonly id: string; readonly path: string }[];
}

export const manifest: Manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'manifest.json'), 'utf8'));

export function fixturePath(p: string): string {
  return path.resolve(REPO, p);
}

/** Independent op count with a full protobuf decode (protobufjs): main graph and nested subgraphs. */
export function independentOpCounts(file: string): Map<string, number> {
  const m = onnx.ModelProto.decode(fs.readFileSync(file));
  const counts = new Map<string, number>();
  const visit = (g: onnx.IGraphProto | null | undefined) => {
    for (const n of g?.node ?? []) {
      const domain = n.domain && n.domain !== 'ai.onnx' ? n.domain : '';
      const op = domain ? `${domain}.${n.opType}` : String(n.opType);
      counts.set(op, (counts.get(op) ?? 0) + 1);
      for (const a of n.attribute ?? []) {
        visit(a.g);
        for (const sg of a.graphs ?? []) visit(sg);
      }
    }
  };
  visit(m.graph);
  return counts;
}

export function independentInitializerCount(file: string): number {
  const m = onnx.ModelProto.decode(fs.readFileSync(file));
  let n = 0;
  const visit = (g: onnx.IGraphProto | null | undefined) => {
    n += g?.initializer?.length ?? 0;
    for (const node of g?.node ?? []) for (const a of node.attribute ?? []) {
      visit(a.g);
      for (const sg of a.graphs ?? []) visit(sg);
    }
  };
  visit(m.graph);
  return n;
}

/** onnxruntime-node's type names for our dtype names. */
export const ORT_TYPE: Record<string, string> = {
  float: 'float32',
  double: 'float64',
  float16: 'float16',
  bfloat16: 'bfloat16',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
  string: 'string',
  int4: 'int4',
  uint4: 'uint4',
};

/** A deterministic PRNG so fuzz failures reproduce. */
export { mulberry32 as rng } from '../../src/core/inputs/synthesize';

const made: string[] = [];
process.once('exit', () => {
  // Set INFERENCE_LENS_KEEP_TMP=1 to look at what a failing test wrote.
  if (!process.env.INFERENCE_LENS_KEEP_TMP) for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test process exits. */
export function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `il-${prefix}-`));
  made.push(d);
  return d;
}
