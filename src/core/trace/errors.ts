/** Typed failures of the trace importer. Every failure the importer can have is one of these. */

export type TraceErrorCode =
  /** The file or folder could not be read (missing, permissions). */
  | 'io'
  /** The file (or the folder) has no trace in it: zero bytes, only whitespace, or no trace files. */
  | 'empty'
  /** The file ends in the middle of the JSON (a profiler that crashed, a copy cut short). */
  | 'truncated'
  /** The bytes are not valid JSON (or not valid gzip). */
  | 'malformed'
  /** Valid JSON, but not a Chrome trace: no `traceEvents` array and not an array of events. */
  | 'not-trace'
  /** Import was cancelled by the caller. */
  | 'cancelled';

export class TraceError extends Error {
  override readonly name = 'TraceError';
  constructor(
    readonly code: TraceErrorCode,
    message: string,
    /** Offset in the (decompressed) JSON text where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(message);
  }

  /** A one-line message for people: what to do about it. */
  get hint(): string {
    switch (this.code) {
      case 'io':
        return 'Check that the path exists and is readable.';
      case 'empty':
        return 'Profile again; torch.profiler writes the trace when the profiler context (or on_trace_ready) finishes.';
      case 'truncated':
        return 'The trace looks cut short. Let the profiler finish writing (export_chrome_trace / tensorboard_trace_handler), then copy it again.';
      case 'malformed':
        return 'Open a Chrome-trace JSON written by torch.profiler (.json or .json.gz) or an ONNX Runtime profile.';
      case 'not-trace':
        return 'Expected {"traceEvents": [...]} or a JSON array of trace events (torch.profiler, Kineto or ONNX Runtime).';
      case 'cancelled':
        return '';
    }
  }
}

export function isTraceError(e: unknown): e is TraceError {
  return e instanceof TraceError;
}
