/**
 * A streaming scanner for Chrome-trace JSON: `{"traceEvents": [...], ...}` or a bare array of
 * events. Bytes go in chunk by chunk (any split, UTF-8 safe: every structural byte is ASCII and
 * never occurs inside a multi-byte sequence); events come out as plain objects, one chunk's worth
 * at a time, so neither the whole text nor the whole object tree is ever held.
 *
 * The scanner only finds where each value starts and ends (strings, escapes and nesting); the
 * values themselves are decoded with `JSON.parse`, one batch of complete events per chunk.
 */
import { TraceError } from './errors';

export interface TraceJsonSink {
  /** Each element of the events array, in file order. */
  event(value: unknown): void;
  /** Each top-level field other than `traceEvents` (object form only). */
  field(key: string, value: unknown): void;
}

const enum Mode {
  Start,
  KeyOrEnd,
  Key,
  Colon,
  Value,
  CommaOrEnd,
  ElemOrEnd,
  Elem,
  ElemCommaOrEnd,
  Done,
}

const enum Capture {
  None,
  Key,
  Field,
  Event,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function describe(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

export class TraceJsonScanner {
  private mode = Mode.Start;
  private bare = false;
  private sawEvents = false;
  /** Bytes before the current chunk. */
  private pos = 0;
  private cap = Capture.None;
  private capStart = 0;
  private capOffset = 0;
  private parts: Buffer[] = [];
  private depth = 0;
  private inStr = false;
  private esc = false;
  private scalar = false;
  private key = '';
  private batchStart = -1;
  private batchEnd = -1;
  /** Events handed to the sink so far. */
  events = 0;

  constructor(private readonly sink: TraceJsonSink) {}

  /** Bytes scanned so far. */
  get bytes(): number {
    return this.pos;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = this.pos === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
    if (this.cap !== Capture.None) this.capStart = 0;
    while (i < n) {
      if (this.cap !== Capture.None) {
        const e = this.scanValue(chunk, i);
        if (e < 0) break;
        this.finishCapture(chunk, e);
        i = e;
        continue;
      }
      const b = chunk[i]!;
      if (isSpace(b)) {
        i++;
        continue;
      }
      switch (this.mode) {
        case Mode.Start:
          if (b === 0x7b) this.mode = Mode.KeyOrEnd;
          else if (b === 0x5b) {
            this.bare = true;
            this.sawEvents = true;
            this.mode = Mode.ElemOrEnd;
          } else throw new TraceError('not-trace', `the file starts with ${describe(b)}, not a JSON object or array`, this.pos + i);
          i++;
          break;
        case Mode.KeyOrEnd:
        case Mode.Key:
          if (b === QUOTE) this.startCapture(Capture.Key, chunk, i++);
          else if (b === 0x7d && this.mode === Mode.KeyOrEnd) {
            this.mode = Mode.Done;
            i++;
          } else throw this.unexpected(b, i, 'a field name');
          break;
        case Mode.Colon:
          if (b !== 0x3a) throw this.unexpected(b, i, "':'");
          this.mode = Mode.Value;
          i++;
          break;
        case Mode.Value:
          if (this.key === 'traceEvents' && b === 0x5b) {
            this.sawEvents = true;
            this.mode = Mode.ElemOrEnd;
            i++;
          } else this.startCapture(Capture.Field, chunk, i++);
          break;
        case Mode.CommaOrEnd:
          if (b === 0x2c) this.mode = Mode.Key;
          else if (b === 0x7d) this.mode = Mode.Done;
          else throw this.unexpected(b, i, "',' or '}'");
          i++;
          break;
        case Mode.ElemOrEnd:
        case Mode.Elem:
          // A trailing comma before ']' is tolerated.
          if (b === 0x5d) {
            this.closeArray(chunk);
            i++;
          } else this.startCapture(Capture.Event, chunk, i++);
          break;
        case Mode.ElemCommaOrEnd:
          if (b === 0x2c) this.mode = Mode.Elem;
          else if (b === 0x5d) this.closeArray(chunk);
          else throw this.unexpected(b, i, "',' or ']' between events");
          i++;
          break;
        case Mode.Done:
          throw new TraceError('malformed', `unexpected ${describe(b)} after the end of the trace at byte ${this.pos + i}`, this.pos + i);
      }
    }
    this.flushBatch(chunk);
    if (this.cap !== Capture.None) this.parts.push(chunk.subarray(this.capStart));
    this.pos += n;
  }

  /** Call after the last chunk: checks that the trace is complete. */
  end(): void {
    if (this.mode === Mode.Start) throw new TraceError('empty', 'the trace is empty', 0);
    // The Chrome JSON Array Format allows a missing closing ']' (a writer that was killed).
    const bareOpenEnd = this.bare && this.cap === Capture.None && (this.mode === Mode.ElemCommaOrEnd || this.mode === Mode.Elem || this.mode === Mode.ElemOrEnd);
    if (this.mode !== Mode.Done && !bareOpenEnd) {
      throw new TraceError('truncated', `the trace ends early, at byte ${this.pos}, after ${this.events} events`, this.pos);
    }
    if (!this.sawEvents) throw new TraceError('not-trace', 'the JSON object has no "traceEvents" array');
  }

  private unexpected(b: number, i: number, expected: string): TraceError {
    return new TraceError('malformed', `expected ${expected} at byte ${this.pos + i}, found ${describe(b)}`, this.pos + i);
  }

  private startCapture(kind: Capture, chunk: Buffer, i: number): void {
    const b = chunk[i]!;
    this.cap = kind;
    this.capStart = i;
    this.capOffset = this.pos + i;
    this.parts = [];
    this.depth = b === 0x7b || b === 0x5b ? 1 : 0;
    this.inStr = b === QUOTE;
    this.esc = false;
    this.scalar = !this.inStr && this.depth === 0;
    if (this.scalar && !/[-0-9tfn]/.test(String.fromCharCode(b))) throw this.unexpected(b, i, 'a JSON value');
  }

  /** Scans the value being captured from `i`; returns its end (exclusive) or -1 when the chunk ends first. */
  private scanValue(chunk: Buffer, i: number): number {
    const n = chunk.length;
    let { depth, inStr, esc } = this;
    let nextBackslash = -1;
    let end = -1;
    while (i < n) {
      if (inStr) {
        if (esc) {
          esc = false;
          i++;
          continue;
        }
        if (nextBackslash < i) {
          nextBackslash = chunk.indexOf(BACKSLASH, i);
          if (nextBackslash < 0) nextBackslash = n;
        }
        const q = chunk.indexOf(QUOTE, i);
        const quote = q < 0 ? n : q;
        if (nextBackslash < quote) {
          esc = true;
          i = nextBackslash + 1;
          continue;
        }
        if (q < 0) {
          i = n;
          break;
        }
        inStr = false;
        i = q + 1;
        if (depth === 0) {
          end = i;
          break;
        }
        continue;
      }
      const b = chunk[i]!;
      if (this.scalar) {
        if (b === 0x2c || b === 0x5d || b === 0x7d || isSpace(b)) {
          end = i;
          break;
        }
      } else if (b === QUOTE) inStr = true;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        if (--depth === 0) {
          end = i + 1;
          break;
        }
      }
      i++;
    }
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
    return end;
  }

  private finishCapture(chunk: Buffer, end: number): void {
    const kind = this.cap;
    this.cap = Capture.None;
    if (kind === Capture.Event && this.parts.length === 0) {
      // Complete inside this chunk: decode later, together with its neighbours.
      if (this.batchStart < 0) this.batchStart = this.capStart;
      this.batchEnd = end;
      this.mode = Mode.ElemCommaOrEnd;
      return;
    }
    const text = this.parts.length ? Buffer.concat([...this.parts, chunk.subarray(this.capStart, end)]).toString('utf8') : chunk.toString('utf8', this.capStart, end);
    this.parts = [];
    const value = this.parse(text, this.capOffset);
    if (kind === Capture.Key) {
      this.key = value as string;
      this.mode = Mode.Colon;
    } else if (kind === Capture.Field) {
      this.sink.field(this.key, value);
      this.mode = Mode.CommaOrEnd;
    } else {
      this.events++;
      this.sink.event(value);
      this.mode = Mode.ElemCommaOrEnd;
    }
  }

  private closeArray(chunk: Buffer): void {
    this.flushBatch(chunk);
    this.mode = this.bare ? Mode.Done : Mode.CommaOrEnd;
  }

  private flushBatch(chunk: Buffer): void {
    if (this.batchStart < 0) return;
    // Between complete elements there are only commas and whitespace, so the span is a JSON array body.
    const list = this.parse(`[${chunk.toString('utf8', this.batchStart, this.batchEnd)}]`, this.pos + this.batchStart) as unknown[];
    this.batchStart = this.batchEnd = -1;
    for (const e of list) {
      this.events++;
      this.sink.event(e);
    }
  }

  private parse(text: string, offset: number): unknown {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new TraceError('malformed', `invalid JSON in the value at byte ${offset}: ${(e as Error).message}`, offset);
    }
  }
}
