/**
 * Public types of the model insight analysis (src/core/insight): inferred shapes and types, per-node
 * cost (FLOPs/MACs, parameter and activation bytes), aggregates per module scope, a static memory
 * plan and node → PyTorch source frames.
 *
 * Dims: a `number` is a known size; a `string` is a symbolic expression in canonical form over the
 * model's named dims and integers — a name (`batch`), a sum or product (`past_sequence_length+sequence_length`,
 * `2*batch*heads`) or a floor division (`floor((height+1)/2)`), see `dimExpr`/`evalDim` in ./expr; `null` is
 * unknown. Unknown stays unknown: nothing is guessed.
 *
 * Numbers that depend on symbolic dims (costs, bytes, the memory plan) are computed for the dims the
 * caller gives (`AnalyzeOptions.dims`, or the argument of `memoryPlan`) and are `null` when a dim they
 * need has no value. Their symbolic form is kept next to them (`*Expr`) so a UI can show
 * `2*batch*sequence*1024` whatever the values.
 */
import type { ByteSource } from '../onnx/wire';
import type { SourceFrame } from '../profile/source';

export type { SourceFrame };

/** A known size, a symbolic expression in canonical string form, or unknown. */
export type DimValue = number | string | null;

/** Values of named dims, e.g. `{ batch: 8, sequence_length: 512 }`. */
export type DimValues = Readonly<Record<string, number>>;

export interface ValueShape {
  /** TensorProto.DataType of the elements; null when unknown (or not a tensor: sequences, maps). */
  readonly elemType: number | null;
  /** Dims; null when even the rank is unknown. A scalar is []. */
  readonly shape: readonly DimValue[] | null;
}

/**
 * Where a node's shapes live. Value names are only unique within one graph (a subgraph can see its
 * enclosing graphs' names but may shadow them), so values are kept per graph:
 * `ModelInsight.values` is the main graph; each If/Loop/Scan body is a `GraphInsight` in
 * `ModelInsight.subgraphs`, keyed by its path.
 */
export interface GraphInsight {
  /**
   * '' for the main graph; for a subgraph the owning node and attribute, joined with '/' per nesting
   * level: `If_0:then_branch`, `If_0:then_branch/Loop_3:body` (a node is written by its name, or
   * `#<index>` when it has none).
   */
  readonly path: string;
  readonly name: string;
  /** Every value produced or consumed in this graph (inputs, initializers, node outputs). */
  readonly values: ReadonlyMap<string, ValueShape>;
}

/** What the model says about where a node came from in the PyTorch program. */
export interface NodeSource {
  /** Python frames, innermost first (the dynamo exporter's `pkg.torch.onnx.stack_trace`). */
  readonly frames: readonly SourceFrame[];
  /** Module path from the exporter's metadata (`pkg.torch.onnx.name_scopes`), outermost first. */
  readonly nameScopes?: readonly string[];
  /** Module classes along that path (`pkg.torch.onnx.class_hierarchy`), outermost first. */
  readonly classHierarchy?: readonly string[];
  /** The FX node or namespace string as written (`namespace`, `pkg.torch.onnx.fx_node`), for display. */
  readonly namespace?: string;
}

export interface NodeCost {
  /** Path of the graph holding the node (see GraphInsight.path); '' for the main graph. */
  readonly graph: string;
  /** Index of the node in its graph's node list. */
  readonly index: number;
  readonly name: string;
  readonly opType: string;
  /** '' = ai.onnx. */
  readonly domain: string;
  /**
   * Module scope, outermost first: from the exporter's name scopes metadata when present, else from the
   * node name (`/encoder/layer.0/attention/MatMul` → ['encoder', 'layer.0', 'attention']); [] at top level.
   */
  readonly scope: readonly string[];
  /** Floating point operations (a multiply-add counts 2), for the given dims; null when unknown. */
  readonly flops: number | null;
  /** Multiply-accumulates (matrix products and convolutions only; 0 for other ops), for the given dims. */
  readonly macs: number | null;
  /** Bytes of the constant inputs (initializers, Constant outputs) the node reads; 0 when none. */
  readonly paramBytes: number | null;
  /** Bytes of the non-constant inputs. */
  readonly inputBytes: number | null;
  /** Bytes of the outputs. */
  readonly outputBytes: number | null;
  /** Symbolic forms (canonical strings), null when unknown. A number-valued expression is its decimal string. */
  readonly flopsExpr: string | null;
  readonly macsExpr: string | null;
  /** Whether every input and output shape of the node is known (symbolic dims allowed). */
  readonly shapesKnown: boolean;
  /** PyTorch source, when the model carries it in the node's metadata. */
  readonly source?: NodeSource;
  /**
   * Whether the node's FLOPs/MACs count in `totals` and `scopes` (its weights always do): false inside
   * the If branch that is not counted (only one branch runs; the costlier one is counted, or the one
   * a constant condition picks).
   */
  readonly counted: boolean;
}

export interface CostTotals {
  /** Sums; null when any node that contributes has an unknown value (see `unknownNodes`). */
  readonly flops: number | null;
  readonly macs: number | null;
  /** Bytes of parameters read by these nodes, each tensor counted once (both If branches). */
  readonly paramBytes: number;
  /** Nodes counted (see NodeCost.counted). */
  readonly nodes: number;
  /** Nodes whose FLOPs could not be computed (unknown shape or unsupported op). */
  readonly unknownNodes: number;
  /** Sums over the nodes whose FLOPs are known: a lower bound when `unknownNodes` > 0. */
  readonly knownFlops: number;
  readonly knownMacs: number;
}

export interface ScopeCost extends CostTotals {
  /** Scope path, outermost first; [] is the whole model. */
  readonly path: readonly string[];
  /** `path.join('/')`, '' for the whole model. */
  readonly key: string;
}

export interface Coverage {
  /** Tensor values (all graphs) whose rank and every dim are known (a symbolic dim counts as known). */
  readonly known: number;
  /** Values with a known rank but some unknown dim. */
  readonly partial: number;
  readonly total: number;
  /** known / total (1 for an empty model). */
  readonly ratio: number;
  /** Ops (domain-qualified) that the inference does not implement, with how many nodes each. */
  readonly unsupportedOps: readonly { readonly op: string; readonly count: number }[];
}

export interface LiveTensor {
  readonly name: string;
  readonly bytes: number;
  /** Index (in the main graph) of the node that produced it; -1 for a graph input. */
  readonly producer: number;
}

export interface MemoryPlan {
  /** The dims the plan was computed for (those given, after defaults the caller chose). */
  readonly dims: DimValues;
  /**
   * Largest sum of live activation bytes (graph inputs, intermediate values, outputs; weights excluded)
   * over the execution order (the model's node order, which ONNX requires to be topological).
   * Counts only tensors whose size is known; see `unknownTensors`.
   */
  readonly peakActivationBytes: number;
  /** Index in the main graph of the node during whose execution the peak happens (its inputs and outputs live); -1 when there are no nodes. */
  readonly peakAtNodeIndex: number;
  readonly peakAtNodeName: string;
  /** Tensors alive at the peak, largest first. */
  readonly liveAtPeak: readonly LiveTensor[];
  /** Bytes of all initializers and Constant-node tensors (all graphs). */
  readonly weightBytes: number;
  /** Activation tensors whose size is unknown for these dims (not counted in the peak). */
  readonly unknownTensors: number;
  /** Sizes of If/Loop/Scan bodies' own intermediates are not counted (only the node's inputs and outputs). */
  readonly subgraphsExcluded: boolean;
}

export interface ModelInsight {
  /** Main graph values: name → elem type and shape. */
  readonly values: ReadonlyMap<string, ValueShape>;
  /** Main graph first, then every subgraph (If/Loop/Scan bodies), depth first. */
  readonly graphs: readonly GraphInsight[];
  /** Every node of every graph in execution order: an If/Loop/Scan node is followed by its bodies' nodes. */
  readonly nodes: readonly NodeCost[];
  /** One entry per scope prefix that has nodes ([] = the whole model), in first-seen order. */
  readonly scopes: readonly ScopeCost[];
  readonly totals: CostTotals;
  readonly coverage: Coverage;
  /** The model's named symbolic dims, in first-seen order (graph inputs first). */
  readonly symbols: readonly string[];
  /** The dims the costs were computed for (AnalyzeOptions.dims). */
  readonly dims: DimValues;
  /** Static memory plan for the given dims (default: AnalyzeOptions.dims). */
  memoryPlan(dims?: DimValues): MemoryPlan;
  /** Things worth knowing: inference conflicts with the model's own value_info, unreadable constants. */
  readonly warnings: readonly string[];
}

export interface AnalyzeOptions {
  /** Values for the model's symbolic dims; dims not given stay symbolic (numbers depending on them are null). */
  readonly dims?: DimValues;
  /** Checked every few hundred nodes; aborting throws OnnxError('cancelled'). */
  readonly signal?: AbortSignal;
  /**
   * Whether shapes the model itself declares (value_info, graph outputs) fill what inference leaves
   * unknown (default true; a conflict with an inferred dim is a warning, the inferred dim wins).
   */
  readonly useValueInfo?: boolean;
  /** Where the model's bytes are, for a model parsed from a buffer (default: the file at `model.path`). */
  readonly source?: ByteSource;
}
