/** Traces the tests write themselves, in the formats real profilers write. */

/** A Kineto trace as torch.profiler(with_stack=True) writes it: Python frames around operators. */
export function withStackTrace(): object {
  const x = (cat: string, name: string, tid: number, ts: number, dur: number, args: object = {}) => ({ ph: 'X', cat, name, pid: 1, tid, ts, dur, args });
  return {
    schemaVersion: 1,
    traceEvents: [
      x('python_function', '/home/u/proj/train.py(40): <module>', 1, 0, 1000),
      x('python_function', '/home/u/proj/model.py(12): forward', 1, 10, 900),
      x('python_function', '/usr/lib/python3.11/site-packages/torch/nn/modules/module.py(1501): _call_impl', 1, 20, 800),
      x('python_function', '<built-in method linear of PyCapsule object at 0x7f>', 1, 25, 600),
      x('cpu_op', 'aten::linear', 1, 30, 500),
      x('cpu_op', 'aten::relu', 2, 600, 50, { 'Call stack': '/x/y/old.py(7): f;/x/y/main.py(3): <module>' }),
      x('cpu_op', 'aten::empty', 3, 700, 5),
    ],
  };
}
