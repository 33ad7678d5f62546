/**
 * Reading traces from disk: a file (`.json`, `.json.gz`; gzip is told from the bytes, not the
 * name) or a TensorBoard profiler log folder (`<logdir>/<run>/<worker>.<span>.pt.trace.json[.gz]`).
 * Streams the file through gunzip and the scanner: the raw text is never held whole.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Profile } from '../profile/types';
import { ChromeTraceImporter } from './chrome';
import { TraceError, isTraceError } from './errors';
import { TraceJsonScanner } from './json-stream';

export interface ImportProgress {
  /** Bytes of the file read so far (compressed bytes for .gz) and the file's size. */
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly events: number;
}

export interface ImportOptions {
  /** Abort to cancel; the import then rejects with a `TraceError` of code `cancelled`. */
  readonly signal?: AbortSignal;
  /** Called as the import goes, at most about once per MiB read. */
  readonly onProgress?: (p: ImportProgress) => void;
}

const PROGRESS_STEP = 1 << 20;

/** Imports a trace from any byte stream (already decompressed). */
export async function importTraceStream(chunks: AsyncIterable<Buffer | string>, opts: ImportOptions & { path?: string } = {}): Promise<Profile> {
  const importer = new ChromeTraceImporter();
  const scanner = new TraceJsonScanner(importer);
  for await (const chunk of chunks) {
    if (opts.signal?.aborted) throw new TraceError('cancelled', 'import cancelled');
    scanner.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  scanner.end();
  return importer.finish(scanner.bytes, opts.path);
}

/** Imports one trace file. */
export async function importTraceFile(file: string, opts: ImportOptions = {}): Promise<Profile> {
  const stat = await statOrThrow(file);
  if (stat.isDirectory()) throw new TraceError('io', `${file} is a folder; use importTracePath for TensorBoard log folders`);
  if (stat.size === 0) throw new TraceError('empty', `${path.basename(file)} is empty (0 bytes)`);
  const gzip = await startsWithGzipMagic(file);
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const source = gzip ? pipeline(input, zlib.createGunzip({ chunkSize: 256 << 10 }), () => undefined) : input;
  const importer = new ChromeTraceImporter();
  const scanner = new TraceJsonScanner(importer);
  let reported = 0;
  try {
    for await (const chunk of source) {
      if (opts.signal?.aborted) throw new TraceError('cancelled', 'import cancelled');
      scanner.push(chunk as Buffer);
      if (opts.onProgress && input.bytesRead - reported >= PROGRESS_STEP) {
        reported = input.bytesRead;
        opts.onProgress({ bytesRead: reported, totalBytes: stat.size, events: scanner.events });
      }
    }
    scanner.end();
  } catch (e) {
    throw withFile(e, file);
  } finally {
    input.destroy();
  }
  opts.onProgress?.({ bytesRead: stat.size, totalBytes: stat.size, events: scanner.events });
  return importer.finish(scanner.bytes, file);
}

/** Trace files in a TensorBoard profiler log folder (searched up to three levels down), sorted by path. */
export async function findTraceFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    for (const entry of await fs.promises.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory() && depth < 3) await walk(p, depth + 1);
      else if (entry.isFile() && /\.pt\.trace\.json(\.gz)?$/.test(entry.name)) found.push(p);
    }
  };
  try {
    await walk(dir, 0);
  } catch (e) {
    throw new TraceError('io', `cannot read ${dir}: ${(e as Error).message}`);
  }
  return found.sort();
}

/** A file, or every trace in a TensorBoard log folder. */
export async function importTracePath(p: string, opts: ImportOptions = {}): Promise<{ file: string; profile: Profile }[]> {
  const stat = await statOrThrow(p);
  if (!stat.isDirectory()) return [{ file: p, profile: await importTraceFile(p, opts) }];
  const files = await findTraceFiles(p);
  if (files.length === 0) throw new TraceError('empty', `no *.pt.trace.json or *.pt.trace.json.gz files in ${p}`);
  const out: { file: string; profile: Profile }[] = [];
  for (const file of files) out.push({ file, profile: await importTraceFile(file, opts) });
  return out;
}

async function statOrThrow(p: string): Promise<fs.Stats> {
  try {
    return await fs.promises.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceError('io', code === 'ENOENT' ? `no such file: ${p}` : `cannot read ${p}: ${(e as Error).message}`);
  }
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fd.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fd.close();
  }
}

/** Names the file in the message, and turns stream errors into TraceErrors. */
function withFile(e: unknown, file: string): TraceError {
  const name = path.basename(file);
  if (isTraceError(e)) return e.code === 'cancelled' ? e : new TraceError(e.code, `${name}: ${e.message}`, e.offset);
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/.test(err.message ?? '')) {
    return new TraceError('truncated', `${name}: the gzip data ends early`);
  }
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) return new TraceError('malformed', `${name}: not valid gzip data (${err.message})`);
  return new TraceError('io', `cannot read ${name}: ${err.message ?? String(e)}`);
}
