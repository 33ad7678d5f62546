/**
 * The graph view's model (src/core/graph/build.ts): hierarchy from node names, If/Loop bodies and
 * local functions as groups, values wired to their producers across scopes, chunking of flat
 * graphs, static cost columns, and the checker the webview runs on what it receives.
 *
 *   node --import tsx --test test/unit/graph-model.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModelGraph, scopeOfName } from '../../src/core/graph/build';
import { checkModelGraph, GROUP_KINDS, NODE_KINDS, type ModelGraph } from '../../src/core/graph/types';
import { analyzeModel } from '../../src/core/insight';
import { encodeModel, type NodeSpec } from '../../src/core/onnx/proto-writer';
import { parseModelBuffer } from '../../src/core/onnx';
import { DataType } from '../../src/core/onnx/types';
import { controlFlowModel, transformerModel } from '../helpers/models';

const str = (g: ModelGraph, i: number): string => g.strings[i]!;
const N = (g: ModelGraph): number => g.nodes.count;

function nodeByName(g: ModelGraph, name: string): number {
  for (let i = 0; i < N(g); i++) if (str(g, g.nodes.name[i]!) === name && NODE_KINDS[g.nodes.kind[i]!] === 'op') return i;
  assert.fail(`no node named ${name}`);
}

/** Labels of the groups holding node i, outermost first (root excluded). */
function groupChain(g: ModelGraph, i: number): string[] {
  const out: string[] = [];
  for (let p = g.nodes.group[i]!; p > 0; p = g.groups.parent[p]!) out.unshift(str(g, g.groups.label[p]!));
  return out;
}

function children(g: ModelGraph, group: number): number[] {
  return [...g.groups.children.subarray(g.groups.childStart[group]!, g.groups.childStart[group + 1]!)];
}

const inputsOf = (g: ModelGraph, i: number): number[] => [...g.nodes.inputs.subarray(g.nodes.inputStart[i]!, g.nodes.inputStart[i + 1]!)];
const outputsOf = (g: ModelGraph, i: number): number[] => [...g.nodes.outputs.subarray(g.nodes.outputStart[i]!, g.nodes.outputStart[i + 1]!)];

test('scopeOfName splits module paths and leaves plain names alone', () => {
  assert.deepEqual(scopeOfName('/encoder/layer.0/attention/MatMul'), { scope: ['encoder', 'layer.0', 'attention'], leaf: 'MatMul' });
  assert.deepEqual(scopeOfName('model/conv1/Conv2D'), { scope: ['model', 'conv1'], leaf: 'Conv2D' });
  assert.deepEqual(scopeOfName('MatMul_12'), { scope: [], leaf: 'MatMul_12' });
  assert.deepEqual(scopeOfName(''), { scope: [], leaf: '' });
});

test('transformer: every node once, grouped by module scope, values wired to their producers', () => {
  const bytes = transformerModel({ layers: 3, hidden: 8, ffn: 16 }).model;
  const model = parseModelBuffer(bytes);
  const { graph: g, cost } = buildModelGraph(model, { insight: analyzeModel(model) });
  assert.ok(checkModelGraph(g), 'the checker accepts what the builder makes');
  const ops = [...Array(N(g)).keys()].filter((i) => NODE_KINDS[g.nodes.kind[i]!] === 'op');
  assert.equal(ops.length, model.graph.nodes.length);
  assert.deepEqual(ops.map((i) => str(g, g.nodes.name[i]!)), model.graph.nodes.map((n) => n.name), 'op nodes in model order');
  assert.equal(g.groups.nodeCount[0], model.graph.nodes.length);

  const q = nodeByName(g, '/encoder/layer.1/attention/self/query/MatMul');
  assert.deepEqual(groupChain(g, q), ['encoder', 'layer.1', 'attention', 'self', 'query']);
  assert.equal(str(g, g.nodes.label[q]!), 'MatMul');
  // A scope holding a single node is folded: LayerNorm's node sits in `output`.
  assert.deepEqual(groupChain(g, nodeByName(g, '/encoder/layer.0/output/LayerNorm/LayerNormalization')), ['encoder', 'layer.0', 'output']);

  // Each input value is produced by the node that outputs that name (or is an initializer / graph input).
  const producerOf = new Map<string, string>();
  for (const n of model.graph.nodes) for (const o of n.outputs) producerOf.set(o, n.name);
  for (const i of ops) {
    const node = model.graph.nodes.find((n) => n.name === str(g, g.nodes.name[i]!))!;
    inputsOf(g, i).forEach((v, k) => {
      const name = node.inputs[k]!;
      assert.equal(str(g, g.values.name[v]!), name);
      const p = g.values.producer[v]!;
      if (producerOf.has(name)) assert.equal(str(g, g.nodes.name[p]!), producerOf.get(name), `producer of ${name}`);
      else if (name === 'hidden_states') assert.equal(NODE_KINDS[g.nodes.kind[p]!], 'input');
      else {
        assert.equal(p, -1, `${name} is an initializer`);
        assert.ok(g.values.tensor[v]! >= 0);
      }
    });
  }
  const weight = inputsOf(g, q)[1]!;
  const t = g.values.tensor[weight]!;
  assert.equal(str(g, g.tensors.name[t]!), 'encoder.layer.1.attention.self.query.weight');
  assert.equal(str(g, g.tensors.dims[t]!), '[8,8]');
  assert.equal(g.tensors.bytes[t], 8 * 8 * 4);
  assert.equal(str(g, g.values.type[inputsOf(g, nodeByName(g, '/encoder/layer.0/attention/self/query/MatMul'))[0]!]!), 'float[batch,sequence,8]');
  assert.ok(cost);
  assert.equal(cost.paramBytes[q], 8 * 8 * 4, 'parameter bytes of the MatMul: its weight');
  assert.match(str(g, g.nodes.attrs[nodeByName(g, '/encoder/layer.0/attention/self/Softmax')]!), /^axis\t-1$/);
});

test('If/Loop bodies and local functions are groups; outer values reach inner consumers', () => {
  const model = parseModelBuffer(controlFlowModel());
  const { graph: g } = buildModelGraph(model);
  assert.ok(checkModelGraph(g));
  const iff = nodeByName(g, 'if');
  const control = g.nodes.group[iff]!;
  assert.equal(GROUP_KINDS[g.groups.kind[control]!], 'control');
  const bodies = children(g, control).filter((c) => c >= N(g)).map((c) => c - N(g));
  assert.deepEqual(bodies.map((b) => [GROUP_KINDS[g.groups.kind[b]!], str(g, g.groups.label[b]!)]), [
    ['subgraph', 'then_branch'],
    ['subgraph', 'else_branch'],
  ]);
  // else/Mul multiplies the main graph's input x (outer scope) by its own initializer.
  const mul = nodeByName(g, 'else/Mul');
  const [x, two] = inputsOf(g, mul) as [number, number];
  assert.equal(NODE_KINDS[g.nodes.kind[g.values.producer[x]!]!], 'input');
  assert.equal(g.nodes.group[g.values.producer[x]!], 0, 'x is the main graph input');
  assert.equal(str(g, g.tensors.name[g.values.tensor[two]!]!), 'two');
  // The Loop inside then_branch is itself a control group with its body.
  const loop = nodeByName(g, 'then/Loop');
  assert.equal(GROUP_KINDS[g.groups.kind[g.nodes.group[loop]!]!], 'control');
  const add = nodeByName(g, 'body/Add');
  assert.deepEqual(groupChain(g, add), ['If · if', 'then_branch', 'then', 'Loop', 'body', 'body']);
  // The Constant's tensor is listed for the properties panel.
  const trip = outputsOf(g, nodeByName(g, 'then/trip'))[0]!;
  assert.equal(str(g, g.tensors.dtype[g.values.tensor[trip]!]!), 'int64');

  // The call `double` of the local function Double is a function group holding its body (a + a),
  // whose Add produces the call's output y, which the graph output consumes.
  const fn = [...Array(g.groups.count).keys()].find((k) => GROUP_KINDS[g.groups.kind[k]!] === 'function')!;
  assert.equal(str(g, g.groups.label[fn]!), 'Double · double');
  const body = children(g, fn);
  assert.equal(body.length, 1);
  const bodyAdd = body[0]!;
  assert.equal(str(g, g.nodes.op[bodyAdd]!), 'Add');
  const [a1, a2] = inputsOf(g, bodyAdd) as [number, number];
  assert.equal(a1, a2);
  assert.equal(str(g, g.values.name[a1]!), 'y0', 'the formal input a is bound to the call input y0');
  assert.equal(str(g, g.nodes.name[g.values.producer[a1]!]!), 'if');
  const y = outputsOf(g, bodyAdd)[0]!;
  assert.equal(str(g, g.values.name[y]!), 'y');
  const out = [...Array(N(g)).keys()].find((i) => NODE_KINDS[g.nodes.kind[i]!] === 'output' && g.nodes.group[i] === 0)!;
  assert.deepEqual(inputsOf(g, out), [y]);
});

test('a flat graph of 2,000 unnamed-scope nodes is chunked: no group has more than 40 children', () => {
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < 2000; i++) nodes.push({ name: `Relu_${i}`, opType: 'Relu', inputs: [i ? `v${i - 1}` : 'x'], outputs: [`v${i}`] });
  const model = parseModelBuffer(
    encodeModel({ graph: { name: 'flat', nodes, inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [4] }], outputs: [{ name: 'v1999', elemType: DataType.FLOAT, shape: [4] }] } }),
  );
  const { graph: g } = buildModelGraph(model);
  assert.ok(checkModelGraph(g));
  for (let k = 0; k < g.groups.count; k++) assert.ok(children(g, k).length <= 40, `group ${k} has ${children(g, k).length} children`);
  assert.equal(g.groups.nodeCount[0], 2000);
  const chunks = [...Array(g.groups.count).keys()].filter((k) => GROUP_KINDS[g.groups.kind[k]!] === 'chunk');
  assert.ok(chunks.length >= 50);
  const firstLeafChunk = chunks.find((k) => children(g, k).every((c) => c < N(g) && NODE_KINDS[g.nodes.kind[c]!] === 'op'))!;
  assert.match(str(g, g.groups.label[firstLeafChunk]!), /^Relu_\d+ … Relu_\d+$/);
  // Chunks hold consecutive nodes: walking the tree in order gives the model order back.
  const order: number[] = [];
  const walk = (item: number): void => {
    if (item < N(g)) order.push(item);
    else for (const c of children(g, item - N(g))) walk(c);
  };
  walk(N(g));
  assert.deepEqual(order, [...Array(N(g)).keys()]);
});

test('the checker refuses graphs whose references point outside their tables', () => {
  const { graph } = buildModelGraph(parseModelBuffer(controlFlowModel()));
  const clone = (): ModelGraph => structuredClone(graph);
  assert.ok(checkModelGraph(clone()));
  const bad: [string, (g: ModelGraph) => void][] = [
    ['input value out of range', (g) => ((g.nodes.inputs as Int32Array)[0] = g.values.count)],
    ['node group out of range', (g) => ((g.nodes.group as Int32Array)[0] = g.groups.count)],
    ['string index out of range', (g) => ((g.nodes.name as Int32Array)[1] = g.strings.length)],
    ['column of the wrong length', (g) => ((g.nodes as { op: Int32Array }).op = new Int32Array(1))],
    ['column of the wrong type', (g) => ((g.values as unknown as { producer: number[] }).producer = [...g.values.producer])],
    ['parent after child', (g) => ((g.groups.parent as Int32Array)[1] = 2)],
    ['an item listed twice', (g) => ((g.groups.children as Int32Array)[1] = g.groups.children[0]!)],
    ['decreasing offsets', (g) => ((g.nodes.inputStart as Int32Array)[1] = 5)],
    ['wrong schema', (g) => ((g as { schemaVersion: number }).schemaVersion = 2)],
  ];
  for (const [why, spoil] of bad) {
    const g = clone();
    spoil(g);
    assert.equal(checkModelGraph(g), undefined, why);
  }
  assert.equal(checkModelGraph(null), undefined);
  assert.equal(checkModelGraph({}), undefined);
});

test('a 10k-node transformer builds in well under a second and keeps the payload compact', () => {
  const model = parseModelBuffer(transformerModel({ layers: 334, hidden: 8, ffn: 8 }).model);
  const t0 = performance.now();
  const { graph: g } = buildModelGraph(model);
  const ms = performance.now() - t0;
  assert.ok(g.groups.nodeCount[0]! >= 10_000);
  assert.ok(checkModelGraph(g));
  // Typed columns plus a string table: a few bytes per node, not a JSON object each.
  const columnBytes = [g.nodes, g.values, g.tensors, g.groups].flatMap((t) => Object.values(t)).filter((c): c is ArrayBufferView => ArrayBuffer.isView(c)).reduce((s, c) => s + c.byteLength, 0);
  assert.ok(columnBytes / N(g) < 200, `${(columnBytes / N(g)).toFixed(0)} bytes per node in columns`);
  assert.ok(ms < 5000, `built in ${ms.toFixed(0)} ms`);
});
