/** Typed failures of the model writer and the transformations. */

export type OptimizeErrorCode =
  /** The output file exists and `overwrite` was not given. */
  | 'exists'
  /** The output would replace the source model or a file it reads (its external data). */
  | 'same-file'
  /** An option does not fit the model (an unknown node or value name, an axis out of range, ...). */
  | 'bad-option'
  /** The model has nothing this transformation can change, or a construct it cannot handle. */
  | 'unsupported'
  /** Writing failed (disk full, permissions, a source range could not be read). */
  | 'io'
  /** The caller cancelled. Nothing was left on disk. */
  | 'cancelled';

export class OptimizeError extends Error {
  override readonly name = 'OptimizeError';
  constructor(
    readonly code: OptimizeErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** What to do about it, one line. */
  get hint(): string {
    switch (this.code) {
      case 'exists':
        return 'Choose another output name, or pass --force (overwrite) to replace it.';
      case 'same-file':
        return 'Write the result under another name; the source model is never overwritten.';
      case 'bad-option':
        return "Check the names against 'inference-lens summary <model>'.";
      case 'unsupported':
        return '';
      case 'io':
        return 'Check free disk space and that the output folder is writable.';
      case 'cancelled':
        return '';
    }
  }
}

export function isOptimizeError(e: unknown): e is OptimizeError {
  return e instanceof OptimizeError;
}
