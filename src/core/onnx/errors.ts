/** Typed failures of the ONNX reader. Every failure the reader can have is one of these. */

export type OnnxErrorCode =
  /** The file ends before a field does (a truncated download or copy). */
  | 'truncated'
  /** Bytes that are not a valid ONNX protobuf (bad wire type, length past the end, nesting too deep, ...). */
  | 'malformed'
  /** Not an ONNX model at all (no graph, or clearly another format). */
  | 'not-onnx'
  /** An external-data location points outside the model's folder or is otherwise unsafe. */
  | 'external-data-refused'
  /** A file could not be read (missing, permissions, a directory). */
  | 'io'
  /** Parsing was cancelled by the caller. */
  | 'cancelled';

export class OnnxError extends Error {
  override readonly name = 'OnnxError';
  constructor(
    readonly code: OnnxErrorCode,
    message: string,
    /** File offset where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(message);
  }

  /** A one-line message for people: what is wrong and what to do. */
  get hint(): string {
    switch (this.code) {
      case 'truncated':
        return 'The file looks cut short. Copy or download it again, or re-export it.';
      case 'malformed':
        return 'The file is not a valid ONNX protobuf. Re-export the model, or check it with onnx.checker.check_model.';
      case 'not-onnx':
        return 'Open a .onnx file written by torch.onnx.export, onnx.save or another ONNX exporter.';
      case 'external-data-refused':
        return 'External data files must live inside the model folder. Move the data next to the model and re-save it.';
      case 'io':
        return 'Check that the file exists and is readable.';
      case 'cancelled':
        return '';
    }
  }
}

export function isOnnxError(e: unknown): e is OnnxError {
  return e instanceof OnnxError;
}
