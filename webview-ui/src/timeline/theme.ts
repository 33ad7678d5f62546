/**
 * Colors of the timeline, read from VS Code's theme variables (`--vscode-*` CSS custom properties on
 * the webview's <html>) and the theme kind (the class VS Code puts on <body>). Slice colors come
 * from a fixed set of hues whose lightness and saturation depend on the theme kind, so slices read
 * well on light, dark and high-contrast backgrounds; a slice's color is a stable hash of its name.
 */

export type ThemeKind = 'light' | 'dark' | 'hc-dark' | 'hc-light';

export interface TimelineTheme {
  readonly kind: ThemeKind;
  readonly background: string;
  readonly foreground: string;
  readonly muted: string;
  readonly border: string;
  /** Process header rows and the gutter. */
  readonly headerBackground: string;
  readonly gutterBackground: string;
  /** Every other track band, very faint. */
  readonly stripe: string;
  readonly grid: string;
  readonly selection: string;
  /** Search match outline, and the current match. */
  readonly highlight: string;
  readonly currentMatch: string;
  readonly flow: string;
  readonly boxFill: string;
  readonly boxStroke: string;
  readonly scrollbar: string;
  readonly fontFamily: string;
  /** High contrast: outline every slice. */
  readonly sliceBorder: string | undefined;
  /** Slice fill, its dimmed form (search non-matches) and its label color; same length. */
  readonly palette: readonly string[];
  readonly paletteDim: readonly string[];
  readonly paletteText: readonly string[];
}

/** Number of distinct slice colors. */
export const PALETTE_SIZE = 20;

/** The theme kind from VS Code's <body> class. */
export function themeKindOf(body: Element): ThemeKind {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'hc-light';
  if (c.contains('vscode-high-contrast')) return 'hc-dark';
  if (c.contains('vscode-light')) return 'light';
  if (c.contains('vscode-dark')) return 'dark';
  // Outside VS Code: follow the OS.
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

/** Red, green, blue (0–255) and alpha (0–1). */
export type Rgb = readonly [number, number, number, number];

function hslToRgb(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4), 1];
}

const hex2 = (v: number) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0');
const toCss = ([r, g, b, a]: Rgb): string => (a >= 1 ? `#${hex2(r)}${hex2(g)}${hex2(b)}` : `rgba(${r}, ${g}, ${b}, ${+a.toFixed(3)})`);

function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t, 1];

/**
 * Parses any CSS color the browser accepts (`#abc`, `#aabbccdd`, `rgb()`, names) through a canvas
 * context, which normalizes `fillStyle` to `#rrggbb` or `rgba(r, g, b, a)`.
 */
export function cssColorParser(): (css: string, fallback: Rgb) => Rgb {
  const ctx = document.createElement('canvas').getContext('2d');
  return (css, fallback) => {
    if (!ctx || !css) return fallback;
    ctx.fillStyle = '#010203';
    ctx.fillStyle = css;
    const v = String(ctx.fillStyle);
    if (v === '#010203' && css.trim().toLowerCase() !== '#010203') return fallback;
    let m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(v);
    if (m) return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16), 1];
    m = /^rgba?\(\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\s*\)$/.exec(v);
    if (m) return [+m[1]!, +m[2]!, +m[3]!, m[4] === undefined ? 1 : +m[4]];
    return fallback;
  };
}

/** Reads the theme from `el`'s computed custom properties and `document.body`'s class. */
export function readTheme(el: Element): TimelineTheme {
  const cs = getComputedStyle(el);
  const v = (name: string) => cs.getPropertyValue(name).trim();
  const first = (...names: string[]) => names.map(v).find((x) => x) ?? '';
  const kind = themeKindOf(document.body);
  const dark = kind === 'dark' || kind === 'hc-dark';
  const hc = kind === 'hc-dark' || kind === 'hc-light';
  const parse = cssColorParser();

  const bg = parse(v('--vscode-editor-background'), dark ? [30, 30, 30, 1] : [255, 255, 255, 1]);
  const fg = parse(v('--vscode-foreground'), dark ? [204, 204, 204, 1] : [59, 59, 59, 1]);
  const muted = parse(v('--vscode-descriptionForeground'), mix(bg, fg, 0.6));
  const contrast = v('--vscode-contrastBorder');
  const border = parse(first('--vscode-panel-border', '--vscode-widget-border', '--vscode-contrastBorder'), mix(bg, fg, 0.15));
  const header = parse(first('--vscode-sideBarSectionHeader-background', '--vscode-editorWidget-background'), mix(bg, fg, 0.06));
  const gutter = parse(first('--vscode-sideBar-background', '--vscode-editorWidget-background'), mix(bg, fg, 0.03));
  const selection = parse(hc ? first('--vscode-contrastActiveBorder', '--vscode-focusBorder') : first('--vscode-focusBorder', '--vscode-textLink-foreground'), dark ? [0, 120, 212, 1] : [0, 95, 184, 1]);
  const highlight = parse(first('--vscode-editorWarning-foreground', '--vscode-editor-findMatchHighlightBorder'), dark ? [204, 167, 0, 1] : [191, 136, 3, 1]);
  const flow = parse(first('--vscode-textLink-foreground', '--vscode-charts-blue'), selection);

  // Slice hues: spread around the wheel, two lightness bands so neighbours in the hash differ.
  const palette: Rgb[] = [];
  for (let i = 0; i < PALETTE_SIZE; i++) {
    const hue = (i * 360) / (PALETTE_SIZE / 2) + (i % 2 ? 14 : 0);
    const band = i % 2;
    const [s, l] =
      kind === 'dark' ? [0.45, band ? 0.34 : 0.42]
      : kind === 'light' ? [0.62, band ? 0.74 : 0.66]
      : kind === 'hc-dark' ? [0.75, band ? 0.22 : 0.28]
      : [0.75, band ? 0.88 : 0.82];
    palette.push(hslToRgb(hue % 360, s, l));
  }
  const text = palette.map((c) => (luminance(c) > 0.35 ? [20, 20, 20, 1] as const : [255, 255, 255, 1] as const));
  const dim = palette.map((c) => mix(c, bg, 0.5));

  const withAlpha = (c: Rgb, a: number): string => toCss([c[0], c[1], c[2], a]);
  return {
    kind,
    background: toCss(bg),
    foreground: toCss(fg),
    muted: toCss(muted),
    border: toCss(border),
    headerBackground: toCss(header),
    gutterBackground: toCss(gutter),
    stripe: withAlpha(fg, hc ? 0 : 0.025),
    grid: withAlpha(fg, hc ? 0.25 : 0.08),
    selection: toCss(selection),
    highlight: toCss(highlight),
    currentMatch: toCss(selection),
    flow: toCss(flow),
    boxFill: withAlpha(selection, 0.15),
    boxStroke: toCss(selection),
    scrollbar: withAlpha(fg, hc ? 0.6 : 0.25),
    fontFamily: v('--vscode-font-family') || 'system-ui, sans-serif',
    sliceBorder: hc ? toCss(parse(contrast, fg)) : undefined,
    palette: palette.map(toCss),
    paletteDim: dim.map(toCss),
    paletteText: text.map(toCss),
  };
}

/** FNV-1a over the name's UTF-16 code units: the same name gets the same color in every profile. */
export function colorIndex(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Names that differ only in a trailing number (ProfilerStep#3, #4) should still differ.
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) % PALETTE_SIZE;
}
