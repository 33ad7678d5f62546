/** A tiny element builder: text is always set as text (never parsed as HTML). */

type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  readonly class?: string;
  readonly title?: string;
  /** `data-*` attributes, keys without the prefix. */
  readonly data?: Readonly<Record<string, string | number>>;
  readonly [attr: string]: string | number | Readonly<Record<string, string | number>> | undefined;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined) continue;
      if (key === 'data' && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
      } else el.setAttribute(key, String(value));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

/** A codicon glyph (the font ships in dist/webview/codicon.ttf). Decorative: hidden from screen readers. */
export function icon(name: string, opts: { spin?: boolean } = {}): HTMLElement {
  return h('span', { class: `codicon codicon-${name}${opts.spin ? ' codicon-modifier-spin' : ''}`, 'aria-hidden': 'true' });
}
