/**
 * Insight core on small models whose numbers are checked by hand: FLOPs/MACs per node and per scope,
 * parameter and activation bytes, the static memory plan, symbolic dim arithmetic, and node → source
 * metadata as the dynamo exporter writes it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyzeModel, evalDim, parseDim, parsePyStringList, parseStackTrace } from '../../src/core/insight';
import { add, bcast, floorDiv, mul, sub, symbol } from '../../src/core/insight/expr';
import { parseModelBuffer, readModel } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { BufferSource } from '../../src/core/onnx/wire';
import { userFrame } from '../../src/core/profile/source';
import { rng, tmpDir } from '../helpers/fixtures';
import { controlFlowModel, convNetModel, f32, i64, mlpModel, tinyDecoderModel } from '../helpers/models';

async function load(bytes: Uint8Array, name: string) {
  const file = path.join(tmpDir('insight-cost'), name);
  fs.writeFileSync(file, bytes);
  return readModel(file);
}

describe('symbolic dims', () => {
  test('canonical strings, arithmetic and evaluation', () => {
    const past = symbol('past_sequence_length');
    const seq = symbol('sequence_length');
    assert.equal(String(add(seq, past)), 'past_sequence_length+sequence_length');
    assert.equal(String(add(past, seq)), String(add(seq, past)), 'order does not matter');
    assert.equal(String(sub(add(past, seq), past)), 'sequence_length');
    assert.equal(String(mul(mul(symbol('batch'), 2), seq)), '2*batch*sequence_length');
    // Conv 3x3, pad 1, stride 2 on a symbolic side: floor((h+2-3)/2)+1 = floor((h+1)/2).
    const h = symbol('h');
    assert.equal(String(add(floorDiv(add(h, -1), 2), 1)), 'floor((h+1)/2)');
    assert.equal(floorDiv(mul(h, 6), 3) !== null && String(floorDiv(mul(h, 6), 3)), '2*h');
    // batch*seq*64 / (seq*64) = batch, exactly.
    const b = symbol('batch');
    assert.equal(String(floorDiv(mul(mul(b, seq), 64), mul(seq, 64))), 'batch');
    assert.equal(floorDiv(b, seq), null, 'not a multiple: unknown');
    assert.equal(evalDim('past_sequence_length+sequence_length', { past_sequence_length: 5, sequence_length: 3 }), 8);
    assert.equal(evalDim('floor((h+1)/2)', { h: 7 }), 4);
    assert.equal(evalDim('floor((h+1)/2)', {}), null, 'no value for h: unknown');
    assert.equal(evalDim(12, {}), 12);
    assert.equal(evalDim(null, { h: 1 }), null);
  });

  test('run-time broadcast of two symbolic dims: equal, or one of them 1, else no value', () => {
    const x = bcast(symbol('a'), mul(symbol('b'), 2));
    assert.equal(String(x), 'bcast(2*b,a)');
    assert.equal(evalDim(String(x), { a: 6, b: 3 }), 6);
    assert.equal(evalDim(String(x), { a: 1, b: 3 }), 6);
    assert.equal(evalDim(String(x), { a: 5, b: 3 }), null, 'incompatible sizes');
    // A Slice end clamped to the dim: exact whatever the values.
    assert.equal(evalDim('min(512,seq)', { seq: 600 }), 512);
    assert.equal(evalDim('min(512,seq)', { seq: 100 }), 100);
  });

  test('parseDim reads back every canonical form, odd names quoted', () => {
    for (const s of ['batch', '2*batch*seq+1', 'seq-1', 'floor((h+1)/2)', 'floor(h/2)+3', 'bcast(2*b,a)', 'min(512,seq)', '4*"my dim"', 'p2o.DynamicDimension.0']) {
      const e = parseDim(s);
      assert.ok(e !== null, s);
      assert.equal(String(e), s);
    }
    assert.equal(String(symbol('my dim')), '"my dim"');
    assert.equal(parseDim('2*(oops'), null);
  });
});

describe('costs checked by hand', () => {
  test('mlp: y = relu(x @ W + b), x [batch, 4], W [4, 3]', async () => {
    const model = await load(mlpModel().model, 'mlp.onnx');
    const ins = analyzeModel(model, { dims: { batch: 2 } });
    const byName = new Map(ins.nodes.map((n) => [n.name, n]));
    // MatMul: batch·4·3 MACs, 2 FLOPs each; Add and Relu: one per output element (batch·3).
    assert.deepEqual(
      ['/fc/MatMul', '/fc/Add', '/act/Relu'].map((n) => [byName.get(n)!.macs, byName.get(n)!.flops]),
      [
        [24, 48],
        [0, 6],
        [0, 6],
      ],
    );
    assert.equal(byName.get('/fc/MatMul')!.macsExpr, '12*batch');
    assert.equal(byName.get('/fc/MatMul')!.paramBytes, 48);
    assert.equal(byName.get('/fc/MatMul')!.inputBytes, 2 * 4 * 4);
    assert.equal(byName.get('/fc/MatMul')!.outputBytes, 2 * 3 * 4);
    assert.equal(byName.get('/fc/Add')!.paramBytes, 12);
    assert.deepEqual(byName.get('/fc/Add')!.scope, ['fc']);
    assert.equal(ins.totals.flops, 60);
    assert.equal(ins.totals.macs, 24);
    assert.equal(ins.totals.paramBytes, 60);
    const fc = ins.scopes.find((s) => s.key === 'fc')!;
    assert.deepEqual([fc.flops, fc.macs, fc.paramBytes, fc.nodes], [54, 24, 60, 2]);
    // Without a value for batch the numbers are unknown, the expressions are not.
    const sym = analyzeModel(model);
    assert.equal(sym.totals.flops, null);
    assert.equal(sym.nodes[0]!.flopsExpr, '24*batch');
    assert.deepEqual(sym.symbols, ['batch']);
  });

  test('conv net: conv, depthwise strided conv, pooling, Gemm', async () => {
    const model = await load(convNetModel(), 'convnet.onnx');
    const ins = analyzeModel(model, { dims: { batch: 1, height: 8, width: 8 } });
    const n = new Map(ins.nodes.map((x) => [x.name, x]));
    // conv1: out [1,4,8,8] = 256 elements × 3 input channels × 3×3 = 6912 MACs; FLOPs 2·6912 + 256 (bias).
    assert.deepEqual([n.get('/features/conv1/Conv')!.macs, n.get('/features/conv1/Conv')!.flops], [6912, 14080]);
    assert.equal(n.get('/features/act/Relu')!.flops, 256);
    // depthwise, stride 2: out [1,4,4,4] = 64 elements × 1 channel per group × 9 = 576 MACs, no bias.
    assert.deepEqual([n.get('/features/dw/Conv')!.macs, n.get('/features/dw/Conv')!.flops], [576, 1152]);
    // MaxPool 2×2: 16 outputs × 4; GlobalAveragePool: 16 inputs; Gemm 1×4 · 4×2: 8 MACs, 16 + 2 (bias) FLOPs.
    assert.equal(n.get('/features/pool/MaxPool')!.flops, 64);
    assert.equal(n.get('/head/gap/GlobalAveragePool')!.flops, 16);
    assert.equal(n.get('/head/Flatten')!.flops, 0);
    assert.deepEqual([n.get('/head/fc/Gemm')!.macs, n.get('/head/fc/Gemm')!.flops], [8, 18]);
    assert.equal(ins.totals.macs, 6912 + 576 + 8);
    assert.equal(ins.totals.flops, 14080 + 256 + 1152 + 64 + 16 + 18);
    assert.equal(ins.totals.paramBytes, (108 + 4 + 36 + 8 + 2) * 4);
    assert.equal(ins.scopes.find((s) => s.key === 'features')!.flops, 14080 + 256 + 1152 + 64);
    assert.equal(ins.scopes.find((s) => s.key === 'head')!.flops, 16 + 18);
    assert.equal(ins.scopes.find((s) => s.key === 'features/conv1')!.paramBytes, 112 * 4);
    // Symbolic: the strided conv's output side, and a cost that follows the image size.
    assert.deepEqual(ins.values.get('c2')!.shape, ['batch', 4, 'floor((height+1)/2)', 'floor((width+1)/2)']);
    assert.equal(n.get('/features/conv1/Conv')!.macsExpr, '108*batch*height*width');
    const big = analyzeModel(model, { dims: { batch: 2, height: 15, width: 9 } });
    assert.equal(big.nodes.find((x) => x.name === '/features/dw/Conv')!.macs, 2 * 4 * 8 * 5 * 9);
    assert.equal(ins.coverage.ratio, 1);
  });

  test('memory plan: lifetimes in node order, peak and what is alive then', async () => {
    const mlp = analyzeModel(await load(mlpModel().model, 'mlp.onnx'));
    // batch 2: x 32 B + xw 24 B while the MatMul runs; later 24 + 24.
    const p = mlp.memoryPlan({ batch: 2 });
    assert.equal(p.peakActivationBytes, 56);
    assert.equal(p.peakAtNodeName, '/fc/MatMul');
    assert.deepEqual(p.liveAtPeak, [
      { name: 'x', bytes: 32, producer: -1 },
      { name: 'xw', bytes: 24, producer: 0 },
    ]);
    assert.equal(p.weightBytes, 60);
    assert.equal(p.unknownTensors, 0);
    const unknown = mlp.memoryPlan({});
    assert.equal(unknown.unknownTensors, 4);
    assert.equal(unknown.peakActivationBytes, 0);

    const conv = analyzeModel(await load(convNetModel(), 'convnet.onnx'));
    // 8×8: c1 and r1 (4·64 floats each) are both alive while Relu runs.
    const q = conv.memoryPlan({ batch: 1, height: 8, width: 8 });
    assert.equal(q.peakActivationBytes, 2048);
    assert.equal(q.peakAtNodeName, '/features/act/Relu');
    assert.deepEqual(q.liveAtPeak.map((t) => t.name).sort(), ['c1', 'r1']);
    // Batch 32 scales every activation.
    assert.equal(conv.memoryPlan({ batch: 32, height: 8, width: 8 }).peakActivationBytes, 32 * 2048);
  });
});

describe('source mapping', () => {
  test('dynamo exporter metadata: stack trace frames, name scopes, class hierarchy', () => {
    const bytes = encodeModel({
      opsets: [{ domain: '', version: 18 }],
      graph: {
        name: 'g',
        nodes: [
          {
            name: 'node_linear',
            opType: 'MatMul',
            inputs: ['x', 'w'],
            outputs: ['y'],
            metadata: {
              namespace: ': __main__.Net/layers.0: torch.nn.modules.linear.Linear/linear: aten.linear.default',
              'pkg.torch.onnx.class_hierarchy': "['__main__.Net', 'torch.nn.modules.linear.Linear', 'aten.linear.default']",
              'pkg.torch.onnx.name_scopes': "['', 'layers.0', 'layers.0.attn', 'linear']",
              'pkg.torch.onnx.stack_trace':
                'File "/home/me/proj/train.py", line 40, in forward\n    return self.layers[0](x)\nFile "/usr/lib/python3.11/site-packages/torch/nn/modules/linear.py", line 125, in forward\n    return F.linear(input, self.weight, self.bias)',
            },
          },
          { name: '/plain/scope/Relu', opType: 'Relu', inputs: ['y'], outputs: ['z'] },
        ],
        initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [2, 2], raw: f32([1, 0, 0, 1]) }],
        inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [1, 2] }],
        outputs: [{ name: 'z', elemType: DataType.FLOAT, shape: [1, 2] }],
      },
    });
    const ins = analyzeModel(parseModelBuffer(bytes, 'mem.onnx'), { source: new BufferSource(bytes) });
    const mm = ins.nodes[0]!;
    assert.deepEqual(mm.scope, ['layers.0', 'attn']);
    assert.deepEqual(mm.source?.frames, [
      { file: '/usr/lib/python3.11/site-packages/torch/nn/modules/linear.py', line: 125, func: 'forward' },
      { file: '/home/me/proj/train.py', line: 40, func: 'forward' },
    ]);
    // Go to source: the innermost frame in the user's own code, not torch's.
    assert.deepEqual(userFrame(mm.source!.frames), { file: '/home/me/proj/train.py', line: 40, func: 'forward' });
    assert.deepEqual(mm.source?.classHierarchy, ['__main__.Net', 'torch.nn.modules.linear.Linear', 'aten.linear.default']);
    assert.match(mm.source!.namespace!, /layers\.0: torch\.nn/);
    assert.deepEqual(ins.nodes[1]!.scope, ['plain', 'scope']);
    assert.equal(ins.nodes[1]!.source, undefined);
    assert.deepEqual(ins.scopes.map((s) => s.key), ['', 'layers.0', 'layers.0/attn', 'plain', 'plain/scope']);
  });

  test('parsers: Python list repr and traceback text', () => {
    assert.deepEqual(parsePyStringList(`['', 'a.b', "it's"]`), ['', 'a.b', "it's"]);
    assert.equal(parsePyStringList('not a list'), undefined);
    assert.deepEqual(parseStackTrace('a.py(3): f;b.py(9): g'), [
      { file: 'b.py', line: 9, func: 'g' },
      { file: 'a.py', line: 3, func: 'f' },
    ]);
  });
});

describe('shape arithmetic that exporters write', () => {
  test('Shape → Gather → Unsqueeze → Concat → Reshape target, from a buffer model, opset 13', () => {
    const bytes = encodeModel({
      opsets: [{ domain: '', version: 13 }],
      graph: {
        name: 'g',
        nodes: [
          { name: 'shape', opType: 'Shape', inputs: ['x'], outputs: ['s'] },
          { name: 'b', opType: 'Gather', inputs: ['s', 'zero'], outputs: ['b0'], attributes: { axis: { i: 0 } } },
          { name: 't', opType: 'Gather', inputs: ['s', 'one'], outputs: ['t0'], attributes: { axis: { i: 0 } } },
          { name: 'bt', opType: 'Mul', inputs: ['b0', 't0'], outputs: ['bt0'] },
          { name: 'u', opType: 'Unsqueeze', inputs: ['bt0', 'axes0'], outputs: ['bt1'] },
          { name: 'cat', opType: 'Concat', inputs: ['bt1', 'minus1'], outputs: ['target'], attributes: { axis: { i: 0 } } },
          { name: 'reshape', opType: 'Reshape', inputs: ['x', 'target'], outputs: ['y'] },
          { name: 'sl', opType: 'Slice', inputs: ['y', 'starts', 'ends', 'axes1'], outputs: ['z'] },
        ],
        initializers: [
          { name: 'zero', dataType: DataType.INT64, dims: [], raw: i64([0]) },
          { name: 'one', dataType: DataType.INT64, dims: [], raw: i64([1]) },
          { name: 'axes0', dataType: DataType.INT64, dims: [1], raw: i64([0]) },
          { name: 'minus1', dataType: DataType.INT64, dims: [1], raw: i64([-1]) },
          { name: 'starts', dataType: DataType.INT64, dims: [1], raw: i64([-1]) },
          { name: 'ends', dataType: DataType.INT64, dims: [1], raw: i64([Number.MAX_SAFE_INTEGER]) },
          { name: 'axes1', dataType: DataType.INT64, dims: [1], raw: i64([0]) },
        ],
        inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 'seq', 64] }],
        outputs: [{ name: 'z', elemType: DataType.FLOAT }],
      },
    });
    const ins = analyzeModel(parseModelBuffer(bytes, 'mem.onnx'), { source: new BufferSource(bytes) });
    assert.deepEqual(ins.values.get('target')!.shape, [2]);
    assert.deepEqual(ins.values.get('y')!.shape, ['batch*seq', 64]);
    assert.deepEqual(ins.values.get('z')!.shape, [1, 64]);
    assert.deepEqual(ins.values.get('bt0'), { elemType: DataType.INT64, shape: [] });
  });

  test('cancellation stops the analysis with a typed error', async () => {
    const model = await load(convNetModel(), 'convnet.onnx');
    const ac = new AbortController();
    ac.abort();
    // Checked every 256 nodes: a model that small finishes; a big one stops.
    assert.doesNotThrow(() => analyzeModel(model, { signal: ac.signal }));
    const nodes = Array.from({ length: 600 }, (_, k) => ({ name: `/r${k}/Relu`, opType: 'Relu', inputs: [k === 0 ? 'x' : `v${k - 1}`], outputs: [`v${k}`] }));
    const bytes = encodeModel({ graph: { name: 'chain', nodes, inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [4] }], outputs: [{ name: 'v599', elemType: DataType.FLOAT, shape: [4] }] } });
    assert.throws(() => analyzeModel(parseModelBuffer(bytes), { signal: ac.signal, source: new BufferSource(bytes) }), (e: Error & { code?: string }) => e.code === 'cancelled');
  });
});

describe('robustness', () => {
  test('mutated models that still parse never make the analysis throw', () => {
    const seeds = [mlpModel().model, convNetModel(), controlFlowModel(), tinyDecoderModel({ layers: 1, vocab: 20, dim: 8, maxPositions: 16 })];
    const rand = rng(1234);
    let analyzed = 0;
    for (const seed of seeds) {
      for (let k = 0; k < 150; k++) {
        const b = new Uint8Array(seed);
        const flips = 1 + Math.floor(rand() * 4);
        for (let f = 0; f < flips; f++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        let model;
        try {
          model = parseModelBuffer(b, 'fuzz.onnx');
        } catch {
          continue; // the reader's own fuzz test covers refusals
        }
        const t0 = Date.now();
        const ins = analyzeModel(model, { source: new BufferSource(b), dims: { batch: 2, height: 8, width: 8, n: 3 } });
        ins.memoryPlan();
        assert.ok(Date.now() - t0 < 2000, 'no hang');
        analyzed++;
      }
    }
    assert.ok(analyzed > 100, `${analyzed} mutated models analyzed`);
  });
});
