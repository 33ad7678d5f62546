/**
 * Colors of the graph canvas, read from VS Code's theme variables like the timeline's (the same
 * color parser and theme kind): node fills by operator family (as Netron colors them: layers blue,
 * activations red, normalization green, shape and data movement grey…), group frames by depth,
 * and the heat-map scale of the overlays.
 */
import { cssColorParser, themeKindOf, type Rgb, type ThemeKind } from '../timeline/theme';

export type OpFamily = 'layer' | 'activation' | 'norm' | 'shape' | 'math' | 'control' | 'quant' | 'pool' | 'other';

const FAMILIES: Readonly<Record<OpFamily, readonly string[]>> = {
  layer: ['Conv', 'ConvTranspose', 'ConvInteger', 'MatMul', 'Gemm', 'FusedMatMul', 'MatMulNBits', 'Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'LSTM', 'GRU', 'RNN', 'Einsum', 'QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'FusedConv', 'QAttention'],
  activation: ['Relu', 'Gelu', 'FastGelu', 'BiasGelu', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'LeakyRelu', 'Elu', 'Selu', 'PRelu', 'HardSigmoid', 'HardSwish', 'Mish', 'Softplus', 'Erf', 'Clip', 'QuickGelu', 'SkipSimplifiedLayerNormalization'],
  norm: ['LayerNormalization', 'BatchNormalization', 'InstanceNormalization', 'GroupNormalization', 'LpNormalization', 'SimplifiedLayerNormalization', 'SkipLayerNormalization', 'RMSNormalization', 'LRN', 'MeanVarianceNormalization'],
  shape: ['Reshape', 'Transpose', 'Concat', 'Split', 'Slice', 'Gather', 'GatherElements', 'GatherND', 'Squeeze', 'Unsqueeze', 'Shape', 'Expand', 'Flatten', 'Tile', 'Pad', 'Cast', 'Identity', 'ConstantOfShape', 'Constant', 'Range', 'Where', 'ScatterND', 'ScatterElements', 'Size', 'NonZero', 'DepthToSpace', 'SpaceToDepth', 'Resize', 'Trilu'],
  math: ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'Min', 'Max', 'Sum', 'Mean', 'Equal', 'Less', 'Greater', 'Not', 'And', 'Or', 'Sin', 'Cos', 'Floor', 'Ceil', 'Round', 'Sign', 'ArgMax', 'ArgMin', 'CumSum', 'TopK', 'Mod'],
  control: ['If', 'Loop', 'Scan', 'SequenceMap'],
  quant: ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'DynamicQuantizeMatMul', 'QGemm'],
  pool: ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'RoiAlign'],
  other: [],
};

const FAMILY_OF = new Map<string, OpFamily>();
for (const [family, ops] of Object.entries(FAMILIES)) for (const op of ops) FAMILY_OF.set(op, family as OpFamily);

export function opFamily(op: string): OpFamily {
  return FAMILY_OF.get(op) ?? 'other';
}

/** Hues (degrees) of the families; `other` is grey. */
const HUE: Readonly<Record<OpFamily, number | undefined>> = { layer: 212, activation: 0, norm: 140, shape: undefined, math: 35, control: 280, quant: 25, pool: 185, other: undefined };

export interface GraphTheme {
  readonly kind: ThemeKind;
  readonly background: string;
  readonly foreground: string;
  readonly muted: string;
  readonly edge: string;
  readonly edgeLabel: string;
  readonly selection: string;
  readonly match: string;
  readonly currentMatch: string;
  readonly fontFamily: string;
  readonly monoFamily: string;
  /** Node fill, its border and its text per family. */
  readonly node: Readonly<Record<OpFamily, { readonly fill: string; readonly stroke: string; readonly text: string }>>;
  /** Graph inputs and outputs. */
  readonly io: { readonly fill: string; readonly stroke: string; readonly text: string };
  /** Group frames by depth (cycled), collapsed group fills. */
  readonly groupFill: readonly string[];
  readonly groupStroke: string;
  readonly groupText: string;
  readonly collapsedFill: string;
  readonly collapsedStroke: string;
  /** High contrast: outline everything. */
  readonly hc: boolean;
  /** The overlay's color scale from cold to hot (9 stops) and the fill of boxes without data. */
  readonly heat: readonly Rgb[];
  readonly heatMissing: string;
}

const hex2 = (v: number): string => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0');
export const rgbCss = ([r, g, b, a]: Rgb): string => (a >= 1 ? `#${hex2(r)}${hex2(g)}${hex2(b)}` : `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${+a.toFixed(3)})`);
const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t, 1];

function hsl(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4), 1];
}

function luminance([r, g, b]: Rgb): number {
  const lin = (v: number): number => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Text color that reads on `fill`. */
export function textOn(fill: Rgb): string {
  return luminance(fill) > 0.33 ? '#1e1e1e' : '#ffffff';
}

/** Magma-like stops: dark purple (cold) to pale yellow (hot); on light themes the cold end is lightened. */
const MAGMA: readonly Rgb[] = [
  [0, 0, 4, 1],
  [28, 16, 68, 1],
  [79, 18, 123, 1],
  [129, 37, 129, 1],
  [181, 54, 122, 1],
  [229, 80, 100, 1],
  [251, 135, 97, 1],
  [254, 194, 135, 1],
  [252, 253, 191, 1],
];

export function readGraphTheme(el: Element): GraphTheme {
  const cs = getComputedStyle(el);
  const v = (name: string): string => cs.getPropertyValue(name).trim();
  const first = (...names: string[]): string => names.map(v).find((x) => x) ?? '';
  const kind = themeKindOf(document.body);
  const dark = kind === 'dark' || kind === 'hc-dark';
  const hc = kind === 'hc-dark' || kind === 'hc-light';
  const parse = cssColorParser();
  const bg = parse(v('--vscode-editor-background'), dark ? [30, 30, 30, 1] : [255, 255, 255, 1]);
  const fg = parse(v('--vscode-foreground'), dark ? [204, 204, 204, 1] : [59, 59, 59, 1]);
  const muted = parse(v('--vscode-descriptionForeground'), mix(bg, fg, 0.6));
  const contrast = parse(v('--vscode-contrastBorder'), fg);
  const selection = parse(hc ? first('--vscode-contrastActiveBorder', '--vscode-focusBorder') : first('--vscode-focusBorder', '--vscode-textLink-foreground'), dark ? [0, 120, 212, 1] : [0, 95, 184, 1]);
  const match = parse(first('--vscode-editorWarning-foreground', '--vscode-editor-findMatchHighlightBorder'), dark ? [204, 167, 0, 1] : [191, 136, 3, 1]);
  const node = {} as Record<OpFamily, { fill: string; stroke: string; text: string }>;
  for (const family of Object.keys(HUE) as OpFamily[]) {
    const hue = HUE[family];
    const fill: Rgb =
      hc ? bg
      : hue === undefined ? (dark ? mix(bg, fg, 0.22) : mix(bg, fg, 0.12))
      : dark ? hsl(hue, 0.42, 0.36)
      : hsl(hue, 0.6, 0.8);
    const stroke = hc ? contrast : mix(fill, dark ? [0, 0, 0, 1] : fg, dark ? 0.35 : 0.25);
    node[family] = { fill: rgbCss(fill), stroke: rgbCss(stroke), text: hc ? rgbCss(fg) : textOn(fill) };
  }
  const ioFill: Rgb = hc ? bg : mix(bg, fg, dark ? 0.08 : 0.05);
  const groupFill = [0.03, 0.06, 0.09, 0.12].map((t) => rgbCss(hc ? bg : mix(bg, fg, dark ? t : t * 0.7)));
  const collapsed: Rgb = hc ? bg : mix(bg, selection, dark ? 0.18 : 0.1);
  const heat = dark ? MAGMA.slice(1) : MAGMA.map((c, i) => (i < 3 ? mix(c, [255, 255, 255, 1], 0.35 - i * 0.1) : c)).slice(1);
  return {
    kind,
    hc,
    background: rgbCss(bg),
    foreground: rgbCss(fg),
    muted: rgbCss(muted),
    edge: rgbCss(hc ? fg : mix(bg, fg, dark ? 0.5 : 0.55)),
    edgeLabel: rgbCss(muted),
    selection: rgbCss(selection),
    match: rgbCss(match),
    currentMatch: rgbCss(selection),
    fontFamily: v('--vscode-font-family') || 'system-ui, sans-serif',
    monoFamily: v('--vscode-editor-font-family') || 'monospace',
    node,
    io: { fill: rgbCss(ioFill), stroke: rgbCss(hc ? contrast : mix(bg, fg, 0.4)), text: rgbCss(fg) },
    groupFill,
    groupStroke: rgbCss(hc ? contrast : mix(bg, fg, dark ? 0.22 : 0.2)),
    groupText: rgbCss(muted),
    collapsedFill: rgbCss(collapsed),
    collapsedStroke: rgbCss(hc ? contrast : mix(collapsed, selection, 0.45)),
    heat,
    heatMissing: rgbCss(hc ? bg : mix(bg, fg, dark ? 0.12 : 0.08)),
  };
}

/** The heat color of t in [0, 1]. */
export function heatColor(theme: GraphTheme, t: number): Rgb {
  const stops = theme.heat;
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  return mix(stops[i]!, stops[i + 1]!, x - i);
}
