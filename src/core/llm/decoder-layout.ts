/**
 * Detects decoder models with a KV cache in the Hugging Face Optimum layout:
 *   inputs  input_ids, attention_mask, [position_ids], past_key_values.N.key / .value
 *   outputs logits, present.N.key / .value
 * Each present output is fed back as the past input of the same suffix on the next step.
 */
import type { IoSummary } from '../onnx/summary-types';

export interface DecoderLayout {
  readonly inputIds: string;
  readonly attentionMask?: string;
  readonly positionIds?: string;
  readonly logits: string;
  /** present output → past input, in model order. */
  readonly cache: readonly { readonly past: string; readonly present: string }[];
  /** Axis of the sequence (growing) dim in past/present tensors. */
  readonly cacheSeqAxis: number;
}

/** Overrides when the names differ from Optimum's. */
export interface DecoderLayoutHints {
  readonly inputIds?: string;
  readonly attentionMask?: string;
  readonly positionIds?: string;
  readonly logits?: string;
  readonly pastPrefix?: string;
  readonly presentPrefix?: string;
}

export function detectDecoderLayout(inputs: readonly IoSummary[], outputs: readonly IoSummary[], hints: DecoderLayoutHints = {}): DecoderLayout | undefined {
  const inNames = new Set(inputs.map((i) => i.name));
  const outNames = outputs.map((o) => o.name);
  const inputIds = hints.inputIds ?? (inNames.has('input_ids') ? 'input_ids' : undefined);
  const logits = hints.logits ?? outNames.find((n) => n === 'logits');
  if (!inputIds || !inNames.has(inputIds) || !logits) return undefined;
  const pastPrefixes = hints.pastPrefix ? [hints.pastPrefix] : ['past_key_values', 'past'];
  const presentPrefix = hints.presentPrefix ?? 'present';
  const cache: { past: string; present: string }[] = [];
  for (const present of outNames) {
    if (!present.startsWith(presentPrefix)) continue;
    const suffix = present.slice(presentPrefix.length); // ".0.key", "_key_values.0.key", ...
    const past = pastPrefixes.map((p) => p + suffix).find((n) => inNames.has(n));
    if (past) cache.push({ past, present });
  }
  if (cache.length === 0) return undefined;
  // The growing axis: the symbolic dim of the past input whose name mentions past/seq, else axis 2 ([b, heads, seq, d]).
  const pastIo = inputs.find((i) => i.name === cache[0]!.past);
  let cacheSeqAxis = 2;
  if (pastIo?.shape) {
    const idx = pastIo.shape.findIndex((d) => typeof d === 'string' && /past|seq|len/i.test(d));
    if (idx >= 0) cacheSeqAxis = idx;
  }
  const attentionMask = hints.attentionMask ?? (inNames.has('attention_mask') ? 'attention_mask' : undefined);
  const positionIds = hints.positionIds ?? (inNames.has('position_ids') ? 'position_ids' : undefined);
  return {
    inputIds,
    logits,
    cache,
    cacheSeqAxis,
    ...(attentionMask ? { attentionMask } : {}),
    ...(positionIds ? { positionIds } : {}),
  };
}

/** Greedy choice: argmax over the vocabulary at the last position of row 0 of logits [batch, seq, vocab]. */
export function argmaxLastToken(logits: Float32Array, dims: readonly number[]): number {
  const vocab = dims[dims.length - 1]!;
  const seq = dims.length >= 2 ? dims[dims.length - 2]! : 1;
  const off = (seq - 1) * vocab;
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < vocab; i++) {
    const v = logits[off + i]!;
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}
