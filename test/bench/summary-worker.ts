/**
 * One measurement in a fresh process, so peak RSS belongs to that approach alone.
 *   lazy <model>: the lazy reader's summary (weights stay on disk)
 *   full <model>: what a full protobuf load does: read the file, decode it with protobufjs
 *                 (onnx-proto), and load external data into memory (like onnx.load)
 *   idle: nothing (the process baseline)
 * Prints one JSON line: { ms, maxRssBytes, nodes } (time excludes process start-up).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { summarizeModel } from '../../src/core/onnx';

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  const t0 = performance.now();
  let nodes = 0;
  if (mode === 'lazy') {
    const s = await summarizeModel(file!);
    nodes = s.nodeCountTotal;
  } else if (mode === 'full') {
    const m = onnx.ModelProto.decode(fs.readFileSync(file!));
    const external: Buffer[] = [];
    const dir = path.dirname(file!);
    const fds = new Map<string, number>();
    for (const t of m.graph?.initializer ?? []) {
      if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
      const get = (k: string) => t.externalData?.find((e) => e.key === k)?.value;
      const loc = get('location')!;
      let fd = fds.get(loc);
      if (fd === undefined) fds.set(loc, (fd = fs.openSync(path.join(dir, loc), 'r')));
      const length = Number(get('length'));
      const buf = Buffer.allocUnsafe(length);
      fs.readSync(fd, buf, 0, length, Number(get('offset') ?? 0));
      external.push(buf);
    }
    for (const fd of fds.values()) fs.closeSync(fd);
    const hist = new Map<string, number>();
    for (const n of m.graph?.node ?? []) hist.set(String(n.opType), (hist.get(String(n.opType)) ?? 0) + 1);
    nodes = m.graph?.node?.length ?? 0;
    if (external.length < 0) console.log(hist); // keep the buffers alive until measured
  } else if (mode !== 'idle') {
    throw new Error(`unknown mode ${mode}`);
  }
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, maxRssBytes: peakRss(), nodes }));
}

/**
 * Peak resident set of this process image. VmHWM, not getrusage's maxRSS: Linux carries
 * ru_maxrss across fork+exec, so a child would report its parent's peak.
 */
function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

void main();
