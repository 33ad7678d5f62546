/**
 * One transformation in a fresh process, so its peak RSS is its own.
 *   int8 <src> <dst> [format] [perChannel]  ·  fp16 <src> <dst>  ·  copy <src> <dst> (read + write, no change)  ·  idle
 * Prints one JSON line: { ms, maxRssBytes } (time excludes process start-up).
 */
import * as fs from 'node:fs';
import { readModel } from '../../src/core/onnx';
import { writeModel } from '../../src/core/onnx/model-writer';
import { convertFp16, quantizeInt8, type Int8Format } from '../../src/core/optimize';

async function main(): Promise<void> {
  const [mode, src, dst, format, perChannel] = process.argv.slice(2);
  const t0 = performance.now();
  if (mode === 'int8') await quantizeInt8(src!, dst!, { format: (format as Int8Format) || 'dynamic', perChannel: perChannel === 'true' }, { overwrite: true });
  else if (mode === 'fp16') await convertFp16(src!, dst!, {}, { overwrite: true });
  else if (mode === 'copy') await writeModel(await readModel(src!), dst!, { overwrite: true });
  else if (mode !== 'idle') throw new Error(`unknown mode ${mode}`);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, maxRssBytes: peakRss() }));
}

/** VmHWM: getrusage's maxRSS carries the parent's peak across fork+exec on Linux. */
function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

void main();
