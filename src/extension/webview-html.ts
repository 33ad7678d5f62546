/**
 * The HTML page of a webview panel, with a strict nonce-based Content Security Policy.
 * Pure (no `vscode` import) so the webview tests serve exactly the page the extension does.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewPage {
  readonly title: string;
  /** `webview.cspSource`: the origin webview resources are served from. */
  readonly cspSource: string;
  /** Stylesheet URLs, in order (codicons first so a panel's own CSS can refine them). */
  readonly styles: readonly string[];
  readonly script: string;
  /**
   * The page starts web workers: it may fetch its own resources (`connect-src` the resource origin)
   * and run workers from blob: URLs (`worker-src blob:`), the way VS Code webviews can start them.
   */
  readonly workers?: boolean;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function webviewHtml(page: WebviewPage, nonce: string = newNonce()): string {
  const csp = [
    "default-src 'none'",
    `style-src ${page.cspSource} 'nonce-${nonce}'`,
    `font-src ${page.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${page.cspSource} data:`,
    ...(page.workers ? [`connect-src ${page.cspSource}`, 'worker-src blob:'] : []),
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${page.styles.map((href) => `<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(href)}">`).join('\n')}
<title>${escapeHtml(page.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${escapeHtml(page.script)}"></script>
</body>
</html>
`;
}
