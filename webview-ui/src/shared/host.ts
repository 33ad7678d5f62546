/**
 * The webview's side of the message channel: typed posting to the extension, validated receiving.
 * Every webview uses this instead of touching `acquireVsCodeApi` or `window.onmessage` itself.
 */
import { isExtensionToWebview, type ExtensionToWebview, type WebviewToExtension } from '../../../src/protocol/messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
}

/** Injected by VS Code into every webview; callable once per page. */
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function postToExtension(message: WebviewToExtension): void {
  api.postMessage(message);
}

/** Calls `handler` with each valid message from the extension; anything else is dropped. */
export function onExtensionMessage(handler: (message: ExtensionToWebview) => void): void {
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isExtensionToWebview(event.data)) handler(event.data);
  });
}
