/**
 * Shape inference against ONNX Runtime: every intermediate value of real models is exposed as an
 * extra output of a test copy, the copy runs in onnxruntime-node, and every inferred dim is compared
 * with what ORT produced — concrete dims exactly, symbolic ones evaluated for the dims the inputs were
 * given. Unknown (null) dims are allowed and reported as coverage; a wrong dim fails.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { analyzeModel, evalDim, type ModelInsight, type ValueShape } from '../../src/core/insight';
import { readModel, summarize } from '../../src/core/onnx';
import { dataTypeName } from '../../src/core/onnx/types';
import { inferVocabSize, synthesizeInputs, type SynthTensor } from '../../src/core/inputs/synthesize';
import { fixturePath, manifest, ORT_TYPE, tmpDir } from '../helpers/fixtures';
import { controlFlowModel, mlpModel, tinyDecoderModel, transformerModel } from '../helpers/models';
import { observeValues, subgraphAsModel } from '../helpers/ort-truth';

interface Comparison {
  /** Values compared (ORT produced them and we describe them). */
  values: number;
  /** Values whose every dim we know and match. */
  exact: number;
  dims: number;
  knownDims: number;
  mismatches: string[];
}

function compare(values: ReadonlyMap<string, ValueShape>, seen: ReadonlyMap<string, { type: string; dims: readonly number[] }>, dims: Record<string, number>): Comparison {
  const c: Comparison = { values: 0, exact: 0, dims: 0, knownDims: 0, mismatches: [] };
  for (const [name, got] of seen) {
    const ours = values.get(name);
    assert.ok(ours, `no inferred value for ${name}`);
    c.values++;
    c.dims += got.dims.length;
    if (ours.elemType !== null && ORT_TYPE[dataTypeName(ours.elemType)] !== got.type) c.mismatches.push(`${name}: type ${dataTypeName(ours.elemType)} vs ORT ${got.type}`);
    if (ours.shape === null) continue;
    if (ours.shape.length !== got.dims.length) {
      c.mismatches.push(`${name}: rank ${ours.shape.length} [${ours.shape.join(',')}] vs ORT [${got.dims.join(',')}]`);
      continue;
    }
    let all = ours.elemType !== null;
    ours.shape.forEach((d, k) => {
      const v = evalDim(d, dims);
      if (v === null) {
        all = false;
        return;
      }
      c.knownDims++;
      if (v !== got.dims[k]) c.mismatches.push(`${name}: dim ${k} = ${JSON.stringify(d)} → ${v}, ORT ${got.dims[k]} (ours [${ours.shape!.join(',')}], ORT [${got.dims.join(',')}])`);
    });
    if (all) c.exact++;
  }
  return c;
}

/** Main-graph values worth exposing: node outputs that are not constants. */
function exposable(insight: ModelInsight, model: Awaited<ReturnType<typeof readModel>>): string[] {
  const outs = new Set(model.graph.outputs.map((o) => o.name));
  const names: string[] = [];
  for (const n of model.graph.nodes) {
    if (n.opType === 'Constant') continue;
    for (const o of n.outputs) if (o && !outs.has(o) && insight.values.get(o)?.elemType !== undefined) names.push(o);
  }
  return names;
}

async function checkAgainstOrt(
  t: { diagnostic(m: string): void },
  label: string,
  file: string,
  feeds: readonly SynthTensor[],
  dims: Record<string, number>,
  minCoverage: number,
): Promise<Comparison> {
  const model = await readModel(file);
  const insight = analyzeModel(model, { useValueInfo: false });
  const seen = await observeValues(fs.readFileSync(file), exposable(insight, model), feeds);
  const c = compare(insight.values, seen, dims);
  t.diagnostic(`${label}: ${c.exact}/${c.values} values fully known (${((100 * c.exact) / c.values).toFixed(1)}%), ${c.knownDims}/${c.dims} dims; coverage ${insight.coverage.known}/${insight.coverage.total}`);
  assert.deepEqual(c.mismatches, [], `${label}: inferred shapes that differ from ONNX Runtime's`);
  assert.ok(c.exact / c.values >= minCoverage, `${label}: ${c.exact}/${c.values} fully known, expected at least ${minCoverage * 100}%`);
  return c;
}

function feedsFor(file: string, dims: Record<string, number>, model: Awaited<ReturnType<typeof readModel>>): SynthTensor[] {
  void file;
  const vocabSize = inferVocabSize(model);
  return [...synthesizeInputs(summarize(model).inputs, { dims, ...(vocabSize ? { vocabSize } : {}) }).tensors];
}

const byId = new Map(manifest.models.map((m) => [m.id, fixturePath(m.path)]));

describe('shape inference matches ONNX Runtime on real models', () => {
  const paddle: { id: string; sizes: Record<string, number>[] }[] = [
    { id: 'ppocr-det', sizes: [{ 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 64, 'p2o.DynamicDimension.2': 96 }, { 'p2o.DynamicDimension.0': 2, 'p2o.DynamicDimension.1': 96, 'p2o.DynamicDimension.2': 128 }] },
    { id: 'ppocr-rec', sizes: [{ 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 160 }, { 'p2o.DynamicDimension.0': 2, 'p2o.DynamicDimension.1': 100 }] },
    { id: 'ppocr-cls', sizes: [{ 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 }, { 'p2o.DynamicDimension.0': 3, 'p2o.DynamicDimension.1': 40, 'p2o.DynamicDimension.2': 100 }] },
  ];
  for (const { id, sizes } of paddle) {
    test(`${id}: every inferred dim equals ORT's, for two input sizes`, async (t) => {
      const file = byId.get(id)!;
      const model = await readModel(file);
      for (const dims of sizes) await checkAgainstOrt(t, `${id} ${JSON.stringify(Object.values(dims))}`, file, feedsFor(file, dims, model), dims, 1);
    });
  }

  test('transformer encoder (module-scoped names): all values known and equal', async (t) => {
    const dir = tmpDir('insight-ort');
    const file = path.join(dir, 'encoder.onnx');
    fs.writeFileSync(file, transformerModel({ layers: 2, hidden: 64, ffn: 128 }).model);
    const model = await readModel(file);
    for (const dims of [{ batch: 2, sequence: 7 }, { batch: 1, sequence: 33 }]) await checkAgainstOrt(t, `encoder ${JSON.stringify(dims)}`, file, feedsFor(file, dims, model), dims, 1);
  });

  test('KV-cache decoder: past+seq dims, Shape arithmetic, all values known and equal', async (t) => {
    const dir = tmpDir('insight-ort');
    const file = path.join(dir, 'decoder.onnx');
    fs.writeFileSync(file, tinyDecoderModel({ layers: 2, vocab: 50, dim: 16, maxPositions: 64 }));
    const model = await readModel(file);
    const insight = analyzeModel(model);
    // The cache grows by the new tokens: present = past + new, as an expression.
    assert.deepEqual(insight.values.get('present.0.key')?.shape, ['batch_size', 1, 'past_sequence_length+sequence_length', 16]);
    for (const [past, seq] of [[5, 3], [0, 4]] as const) {
      const dims = { batch_size: 1, sequence_length: seq, past_sequence_length: past, total_sequence_length: past + seq };
      await checkAgainstOrt(t, `decoder past=${past} seq=${seq}`, file, feedsFor(file, dims, model), dims, 1);
    }
  });

  test('mlp and control flow (If with a Loop inside, a local function)', async (t) => {
    const dir = tmpDir('insight-ort');
    const mlp = path.join(dir, 'mlp.onnx');
    fs.writeFileSync(mlp, mlpModel().model);
    await checkAgainstOrt(t, 'mlp', mlp, feedsFor(mlp, { batch: 3 }, await readModel(mlp)), { batch: 3 }, 1);
    const cf = path.join(dir, 'cf.onnx');
    fs.writeFileSync(cf, controlFlowModel());
    const model = await readModel(cf);
    const insight = analyzeModel(model);
    // The If merges its branches: both give x's shape.
    assert.deepEqual(insight.values.get('y0')?.shape, ['n']);
    const body = insight.graphs.find((g) => g.path === 'if:then_branch/then/Loop:body');
    assert.ok(body, `loop body graph recorded (have ${insight.graphs.map((g) => g.path).join(', ')})`);
    assert.deepEqual(body.values.get('v_out')?.shape, ['n']);
    assert.deepEqual(insight.coverage.unsupportedOps, [{ op: 'local.Double', count: 1 }]);
  });

  test('silero VAD: each If branch checked as a model of its own', async (t) => {
    const file = byId.get('silero-vad')!;
    const bytes = fs.readFileSync(file);
    const model = await readModel(file);
    const insight = analyzeModel(model, { useValueInfo: false });
    const proto = onnx.ModelProto.decode(bytes);
    const outer = new Map<string, onnx.IValueInfoProto>();
    for (const vi of [...(proto.graph!.input ?? []), ...(proto.graph!.valueInfo ?? [])]) outer.set(vi.name!, vi);
    // The main graph's first node computes the branch condition; everything else is inside Ifs.
    let checked = 0;
    for (const [k, node] of (proto.graph!.node ?? []).entries()) {
      if (node.opType !== 'If') continue;
      for (const attr of node.attribute ?? []) {
        if (!attr.g) continue;
        const branchPath = `${node.name || `#${k}`}:${attr.name}`;
        const g = insight.graphs.find((x) => x.path === branchPath);
        assert.ok(g, `branch ${branchPath} analyzed`);
        const sub = subgraphAsModel(bytes, (mg) => mg.node![k]!.attribute!.find((a) => a.name === attr.name)!.g!, outer);
        const dir = tmpDir('insight-vad');
        const f = path.join(dir, `${attr.name}.onnx`);
        fs.writeFileSync(f, sub);
        // Inputs: the outer values the branch reads, with the model's own input sizes.
        const dims = { batch: 1, sequence: attr.name === 'then_branch' ? 512 : 256 };
        const subModel = await readModel(f);
        const feeds = feedsFor(f, dims, subModel).map((x) => (x.name === 'sr' ? { ...x, data: new BigInt64Array([attr.name === 'then_branch' ? 16000n : 8000n]) } : x));
        const subInsight = analyzeModel(subModel, { useValueInfo: false });
        const seen = await observeValues(sub, exposable(subInsight, subModel), feeds);
        // The branch as analyzed inside the full model must agree with ORT too.
        const c = compare(g.values, seen, dims);
        t.diagnostic(`silero ${attr.name}: ${c.exact}/${c.values} values fully known, ${c.knownDims}/${c.dims} dims`);
        assert.deepEqual(c.mismatches, []);
        assert.ok(c.exact / c.values > 0.9, `${c.exact}/${c.values}`);
        checked++;
      }
    }
    assert.ok(checked >= 2);
  });
});

/** Weight bytes with a full protobuf decode (protobufjs): initializers and Constant tensors, all graphs. */
function independentWeightBytes(bytes: Uint8Array): number {
  const BITS: Record<number, number> = { 1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 16: 16 };
  let total = 0;
  const tensor = (t: onnx.ITensorProto) => {
    const n = (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
    total += Math.ceil((n * BITS[t.dataType!]!) / 8);
  };
  const visit = (g: onnx.IGraphProto | null | undefined) => {
    for (const t of g?.initializer ?? []) tensor(t);
    for (const n of g?.node ?? []) {
      for (const a of n.attribute ?? []) {
        if (n.opType === 'Constant' && a.t) tensor(a.t);
        visit(a.g);
        for (const sg of a.graphs ?? []) visit(sg);
      }
    }
  };
  visit(onnx.ModelProto.decode(bytes).graph);
  return total;
}

/**
 * MACs of the matrix products and convolutions from the shapes ONNX Runtime produced (every product's
 * inputs and outputs exposed) and the weights' dims from a protobufjs decode: an independent count.
 */
async function independentMacs(bytes: Uint8Array, feeds: readonly SynthTensor[]): Promise<number> {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const weights = new Map<string, number[]>();
  for (const t of g.initializer ?? []) weights.set(t.name!, (t.dims ?? []).map(Number));
  for (const n of g.node ?? []) if (n.opType === 'Constant') for (const a of n.attribute ?? []) if (a.t) weights.set(n.output![0]!, (a.t.dims ?? []).map(Number));
  const products = (g.node ?? []).filter((n) => ['Conv', 'ConvTranspose', 'MatMul', 'Gemm'].includes(n.opType!));
  const graphOutputs = new Set((g.output ?? []).map((o) => o.name!));
  const inputs = new Set((g.input ?? []).map((i) => i.name!));
  const names = [...new Set(products.flatMap((n) => [n.input![0]!, n.output![0]!]))].filter((x) => !graphOutputs.has(x) && !inputs.has(x) && !weights.has(x));
  const seen = await observeValues(bytes, names, feeds);
  const dimsOf = (name: string): number[] => {
    const w = weights.get(name);
    if (w) return w;
    const f = feeds.find((t) => t.name === name);
    if (f) return [...f.dims];
    const o = seen.get(name);
    assert.ok(o, `ORT produced ${name}`);
    return [...o.dims];
  };
  const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
  let macs = 0;
  for (const n of products) {
    const out = dimsOf(n.output![0]!);
    const a = dimsOf(n.input![0]!);
    const b = n.opType?.startsWith('Conv') ? dimsOf(n.input![1]!) : [];
    if (n.opType === 'Conv') macs += prod(out) * b[1]! * prod(b.slice(2));
    else if (n.opType === 'ConvTranspose') macs += prod(a) * b[1]! * prod(b.slice(2));
    else if (n.opType === 'MatMul') macs += prod(out) * a[a.length - 1]!;
    else {
      const transA = (n.attribute ?? []).find((x) => x.name === 'transA')?.i;
      macs += prod(out) * a[Number(transA ?? 0) ? 0 : 1]!;
    }
  }
  return macs;
}

describe('insight figures in the fixtures manifest', () => {
  for (const fx of manifest.models) {
    const e = fx.expect.insight;
    if (!e) continue;
    test(`${fx.id}: coverage, MACs and weight bytes for ${JSON.stringify(e.dims)}`, async (t) => {
      const file = fixturePath(fx.path);
      const bytes = fs.readFileSync(file);
      const model = await readModel(file);
      const insight = analyzeModel(model, { dims: e.dims });
      t.diagnostic(`${fx.id}: coverage ${insight.coverage.known}/${insight.coverage.total}, ${insight.totals.macs} MACs, ${insight.totals.flops} FLOPs, ${insight.totals.paramBytes} B of weights`);
      assert.equal(insight.coverage.ratio, e.coverage);
      assert.equal(insight.totals.macs, e.macs);
      assert.equal(insight.totals.paramBytes, e.paramBytes);
      // Every weight is read by some node here, so the bytes equal an independent decode's.
      assert.equal(e.paramBytes, independentWeightBytes(bytes));
      if (!fx.expect.hasSubgraphs) assert.equal(e.macs, await independentMacs(bytes, feedsFor(file, { ...e.dims }, model)));
    });
  }
});
