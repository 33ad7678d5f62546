/**
 * The model as ONNX text (src/core/onnx/text.ts) on real models: the fixtures' npm-shipped models
 * and the models the tests build. Node lines are counted against an independent protobufjs decode,
 * weights are never printed, the output is deterministic, and the exact text of two small models is
 * checked against the printer's layout (onnx/defs/printer.cc) and the grammar of onnx/docs/Syntax.md.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { isOnnxError, parseModelBuffer, readModel } from '../../src/core/onnx';
import { formatFloat, modelText, modelTextOfFile, textId } from '../../src/core/onnx/text';
import { BufferSource } from '../../src/core/onnx/wire';
import { fixturePath, manifest, rng, tmpDir } from '../helpers/fixtures';
import { allDtypesModel, controlFlowModel, mlpModel, tinyDecoderModel, transformerModel } from '../helpers/models';

/** Nodes of the graph, its subgraphs and the functions, counted with protobufjs. */
function independentNodeCount(bytes: Uint8Array): number {
  const m = onnx.ModelProto.decode(bytes);
  let n = 0;
  const nodes = (ns: readonly onnx.INodeProto[] | null | undefined): void => {
    for (const node of ns ?? []) {
      n++;
      for (const a of node.attribute ?? []) {
        if (a.g) nodes(a.g.node);
        for (const g of a.graphs ?? []) nodes(g.node);
      }
    }
  };
  nodes(m.graph?.node);
  for (const f of m.functions ?? []) nodes(f.node);
  return n;
}

/**
 * Lines that are nodes: `[label] outs = domain.Op <attrs> (ins)` (ONNX syntax's node production),
 * not a graph attribute continuing on its own line (`else_branch: graph = g () => ...`).
 */
const NODE_LINE = /^\s+(\[(?:"(?:[^"\\]|\\.)*"|\w+)\]\s+)?(?:(?:"(?:[^"\\]|\\.)*"|\w+)(?:, (?:"(?:[^"\\]|\\.)*"|\w+))*)? = [A-Za-z_][\w.]*(?::\w+)? [<(]/;
const GRAPH_ATTR_LINE = /^\s+\w+: graphs? = /;
function nodeLines(text: string): number {
  return text.split('\n').filter((l) => NODE_LINE.test(l) && !GRAPH_ATTR_LINE.test(l)).length;
}

/** Every `{...}` tensor-data list: int lists hold at most 16 values, float lists at most one. */
function assertNoWeights(text: string, what: string): void {
  for (const m of text.matchAll(/(\w+)(?:\[[^\]]*\])? (?:(?:"(?:[^"\\]|\\.)*"|\w+) = |)\{([^{}]*)\}/g)) {
    const dtype = m[1]!;
    const values = m[2]!.split(',').filter((v) => v.trim() !== '');
    if (dtype === 'float' || dtype === 'double') assert.ok(values.length <= 1, `${what}: a ${dtype} tensor printed with ${values.length} values: ${m[0].slice(0, 120)}`);
    else assert.ok(values.length <= 16, `${what}: a ${dtype} tensor printed with ${values.length} values`);
    assert.ok(!/float16|bfloat16|float8|int4|uint4/.test(dtype), `${what}: ${dtype} data printed`);
  }
}

interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly file?: string;
}

function cases(): Case[] {
  const out: Case[] = manifest.models.map((m) => {
    const file = fixturePath(m.path);
    return { name: m.id, bytes: fs.readFileSync(file), file };
  });
  out.push(
    { name: 'mlp', bytes: mlpModel().model },
    { name: 'control-flow', bytes: controlFlowModel() },
    { name: 'transformer', bytes: transformerModel({ layers: 2, hidden: 32, ffn: 64 }).model },
    { name: 'tiny-decoder', bytes: tinyDecoderModel({ layers: 2, vocab: 50, dim: 8, maxPositions: 64 }) },
    { name: 'all-dtypes', bytes: allDtypesModel().model },
  );
  return out;
}

const MLP_TEXT = `<
   ir_version: 10,
   opset_import: ["" : 17],
   producer_name: "inference-lens-tests",
   producer_version: "1",
   metadata_props: ["purpose": "unit test", "unicode ✓": "ünïcödé"]
>
mlp (float[batch,4] x) => (float[batch,3] y)
   <
      float[4,3] W = ...,
      float[3] b = ...
   >
{
   ["/fc/MatMul"] xw = MatMul (x, W)
   ["/fc/Add"] xwb = Add (xw, b)
   ["/act/Relu"] y = Relu (xwb)
}
`;

const CONTROL_FLOW_TEXT = `<
   ir_version: 10,
   opset_import: ["" : 17, "local" : 1],
   producer_name: "inference-lens-tests"
>
control_flow (bool cond, float[n] x) => (float[n] y) {
   [if] y0 = If (cond) <then_branch: graph = then () => (float[n] then_out) {
      ["then/trip"] trip = Constant <value: tensor = int64 {1}> ()
      ["then/Loop"] then_out = Loop (trip, "", x) <body: graph = loop_body (int64 iter, bool cond_in, float[n] v_in) => (bool cond_out, float[n] v_out)
         <
            float one = {1}
         >
      {
         ["body/Identity"] cond_out = Identity (cond_in)
         ["body/Add"] v_out = Add (v_in, one)
      }>
   },
   else_branch: graph = else () => (float[n] else_out)
      <
         float two = {2}
      >
   {
      ["else/Mul"] else_out = Mul (x, two)
   }>
   [double] y = local.Double (y0)
}

<
  domain: "local",
  opset_import: ["" : 17]
>
Double (a) => (b)
{
   b = Add (a, a)
}
`;

describe('model as ONNX text', () => {
  test('node lines equal an independent node count; weights are never printed; same text twice', async () => {
    for (const c of cases()) {
      const model = parseModelBuffer(c.bytes, c.name);
      const t = await modelText(model, new BufferSource(c.bytes));
      const expected = independentNodeCount(c.bytes);
      assert.equal(t.nodeCount, expected, `${c.name}: nodes written`);
      assert.equal(nodeLines(t.text), expected, `${c.name}: node lines in the text`);
      assertNoWeights(t.text, c.name);
      assert.doesNotMatch(t.text, /[ \t]$/m, `${c.name}: no trailing spaces`);
      const again = await modelText(parseModelBuffer(c.bytes, c.name), new BufferSource(c.bytes));
      assert.equal(again.text, t.text, `${c.name}: deterministic`);
      if (c.file) {
        // From the file (lazy reader over a descriptor) exactly as from the buffer.
        assert.equal((await modelTextOfFile(c.file)).text, t.text, `${c.name}: file and buffer agree`);
      }
    }
  });

  test('weight-heavy models give text a fraction of their size', async () => {
    for (const id of ['ppocr-det', 'ppocr-rec']) {
      const file = fixturePath(manifest.models.find((m) => m.id === id)!.path);
      const t = await modelTextOfFile(file);
      const size = fs.statSync(file).size;
      assert.ok(t.text.length < size / 4, `${id}: ${t.text.length} chars of text for a ${size}-byte model`);
      assert.ok(t.elidedTensors > 50, `${id}: weights in Constant nodes elided (${t.elidedTensors})`);
      assert.match(t.text, / = Constant <value: tensor = float\[\d+(,\d+)*\] [^ ]+ \.\.\.> \(\)/, `${id}: a Constant's weights elided`);
    }
  });

  test('the printer layout: header, signature, initializers, named nodes (mlp)', async () => {
    const bytes = mlpModel().model;
    assert.equal((await modelText(parseModelBuffer(bytes), new BufferSource(bytes))).text, MLP_TEXT);
  });

  test('subgraphs inline as graph attributes, local functions after the graph (control flow)', async () => {
    const bytes = controlFlowModel();
    assert.equal((await modelText(parseModelBuffer(bytes), new BufferSource(bytes))).text, CONTROL_FLOW_TEXT);
  });

  test('external data keeps its reference; small int constants and scalars are shown in full', async () => {
    const dir = tmpDir('text-ext');
    const { model, data } = mlpModel({ external: 'mlp.data' });
    fs.writeFileSync(path.join(dir, 'mlp.onnx'), model);
    fs.writeFileSync(path.join(dir, 'mlp.data'), data!);
    const t = await modelTextOfFile(path.join(dir, 'mlp.onnx'));
    assert.match(t.text, /\n {6}float\[4,3\] W = \["location": "mlp\.data", "offset": "0", "length": "48"\],\n/);
    assert.match(t.text, /\n {6}float\[3\] b = \["location": "mlp\.data", "offset": "4096", "length": "12"\]\n/);

    const hidden = 32;
    const bytes = transformerModel({ layers: 1, hidden, ffn: 64 }).model;
    const tt = (await modelText(parseModelBuffer(bytes), new BufferSource(bytes))).text;
    assert.match(tt, /\n {6}int64\[4\] head_shape = \{0,0,8,4\},\n/);
    assert.match(tt, /\n {6}int64\[3\] merge_shape = \{0,0,32\},\n/);
    const scale = /\n {6}float attn_scale = \{([^}]+)\},\n/.exec(tt);
    assert.ok(scale, 'the attention scale is shown');
    assert.equal(Math.fround(Number(scale[1])), Math.fround(1 / Math.sqrt(hidden / 8)));
    assert.match(tt, /float\[32,32\] "encoder\.layer\.0\.attention\.self\.query\.weight" = \.\.\.,/);
    assert.match(tt, /= Transpose <perm: ints = \[0, 2, 1, 3\]> \(/);
    assert.match(tt, /= LayerNormalization <axis: int = -1, epsilon: float = 1e-12> \(/);
    // The silero VAD's Slice ends hold INT64_MAX: exact, not rounded through a double.
    const vad = await modelTextOfFile(fixturePath(manifest.models.find((m) => m.id === 'silero-vad')!.path));
    assert.match(vad.text, /int64\[1\] "\d+" = \{9223372036854775807\}/);
    assert.match(vad.text, /int64\[1\] "\d+" = \{-9223372036854775807\}/);
  });

  test('identifiers are quoted as the parser needs', () => {
    assert.equal(textId('x'), 'x');
    assert.equal(textId('_a1'), '_a1');
    assert.equal(textId('1a'), '"1a"');
    assert.equal(textId('/fc/MatMul'), '"/fc/MatMul"');
    assert.equal(textId('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(textId(''), '""');
  });

  test('floats: the shortest text that reads back, in std::to_chars form', () => {
    const cases: [number, boolean, string][] = [
      [0.1, true, '0.1'],
      [1e-12, true, '1e-12'],
      [1e-5, true, '1e-05'],
      [0.125, true, '0.125'],
      [10000, true, '10000'],
      [100000, true, '1e+05'],
      [1e20, true, '1e+20'],
      [123456789, true, '123456790'],
      [-2.5, true, '-2.5'],
      [0.1, false, '0.1'],
      [1 / 3, false, '0.3333333333333333'],
      [NaN, true, 'nan'],
      [-Infinity, true, '-inf'],
      [0, true, '0'],
    ];
    for (const [v, single, text] of cases) assert.equal(formatFloat(v, single), text, `${v}`);
    const rand = rng(7);
    const dv = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < 2000; i++) {
      dv.setUint32(0, Math.floor(rand() * 2 ** 32));
      const f = dv.getFloat32(0);
      if (!Number.isFinite(f)) continue;
      const s = formatFloat(f, true);
      assert.ok(Object.is(Math.fround(Number(s)), f), `${f} → ${s} reads back`);
      const digits = s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
      if (digits > 1) {
        const shorter = f.toExponential(digits - 2);
        assert.notEqual(Math.fround(Number(shorter)), f, `${f} → ${s} is the shortest (${shorter} also reads back)`);
      }
    }
  });

  test('a 10k-node model renders and can be cancelled half way', async () => {
    const bytes = transformerModel({ layers: 400, hidden: 16, ffn: 32, external: 'w.bin' }).model;
    const model = parseModelBuffer(bytes);
    const full = await modelText(model, new BufferSource(bytes));
    assert.equal(full.nodeCount, independentNodeCount(bytes));
    assert.ok(full.nodeCount > 10_000);
    const ac = new AbortController();
    let calls = 0;
    await assert.rejects(
      modelText(model, new BufferSource(bytes), {
        signal: ac.signal,
        onProgress: (done, total) => {
          calls++;
          assert.equal(total, full.nodeCount);
          if (done > total / 3) ac.abort();
        },
      }),
      (e) => isOnnxError(e) && e.code === 'cancelled',
    );
    assert.ok(calls >= 1);
  });

  test('an unreadable file is an OnnxError with a hint', async () => {
    const dir = tmpDir('text-bad');
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model\n'.repeat(10));
    await assert.rejects(modelTextOfFile(junk), (e) => isOnnxError(e) && e.code === 'not-onnx' && e.hint.length > 0);
    await assert.rejects(modelTextOfFile(path.join(dir, 'missing.onnx')), (e) => isOnnxError(e) && e.code === 'io');
    await assert.rejects(readModel(path.join(dir, 'missing.onnx')));
  });
});
