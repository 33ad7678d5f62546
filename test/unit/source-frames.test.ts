/** Python source frames in PyTorch traces (with_stack) and matching them to workspace files. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { bestSourceMatch, parseFrame, sourceFramesOf, userFrame } from '../../src/core/profile/source';
import type { Profile } from '../../src/core/profile/types';
import { importTraceFile } from '../../src/core/trace';
import { tmpDir } from '../helpers/fixtures';
import { withStackTrace } from '../helpers/traces';

async function load(): Promise<Profile> {
  const file = path.join(tmpDir('with-stack'), 'with_stack.pt.trace.json');
  fs.writeFileSync(file, JSON.stringify(withStackTrace()));
  return importTraceFile(file);
}

const find = (p: Profile, name: string): number => {
  for (let i = 0; i < p.slices.count; i++) if (p.strings[p.slices.name[i]!] === name) return i;
  throw new Error(`${name} not in the profile`);
};

test('parseFrame reads Kineto frame names and nothing else', () => {
  assert.deepEqual(parseFrame('/a/b/model.py(12): forward'), { file: '/a/b/model.py', line: 12, func: 'forward' });
  assert.deepEqual(parseFrame('C:\\proj\\m.py(3): <module>'), { file: 'C:\\proj\\m.py', line: 3, func: '<module>' });
  assert.equal(parseFrame('<built-in method linear of PyCapsule object at 0x7f>'), undefined);
  assert.equal(parseFrame('aten::linear'), undefined);
  assert.equal(parseFrame('x.py(0): f'), undefined);
});

test('the frames around an operator, innermost first; the user frame skips torch and site-packages', async () => {
  const p = await load();
  const frames = sourceFramesOf(p, find(p, 'aten::linear'));
  assert.deepEqual(
    frames.map((f) => `${path.basename(f.file)}:${f.line}`),
    ['module.py:1501', 'model.py:12', 'train.py:40'],
  );
  assert.deepEqual(userFrame(frames), { file: '/home/u/proj/model.py', line: 12, func: 'forward' });
  // A Python frame slice is its own location.
  assert.equal(sourceFramesOf(p, find(p, '/home/u/proj/train.py(40): <module>'))[0]!.line, 40);
  // Older traces: the Call stack arg.
  assert.deepEqual(
    sourceFramesOf(p, find(p, 'aten::relu')).map((f) => `${f.file}:${f.line}`),
    ['/x/y/old.py:7', '/x/y/main.py:3'],
  );
  assert.deepEqual(sourceFramesOf(p, find(p, 'aten::empty')), []);
  assert.equal(userFrame([]), undefined);
});

test('bestSourceMatch picks the workspace file sharing the longest path tail', () => {
  const ws = ['/ws/other/model.py', '/ws/proj/model.py', '/ws/proj/sub/model.py'];
  assert.equal(bestSourceMatch('/home/u/proj/model.py', ws), '/ws/proj/model.py');
  assert.equal(bestSourceMatch('/container/app/sub/model.py', ws), '/ws/proj/sub/model.py');
  assert.equal(bestSourceMatch('/home/u/proj/train.py', ws), undefined);
  assert.equal(bestSourceMatch('/home/u/proj/model.py', []), undefined);
});
