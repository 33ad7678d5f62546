/**
 * The results webview's side of its message channel: typed posting, validated receiving, and the
 * state VS Code keeps for the panel (the run file path, so the panel can be restored after a reload).
 * The overview's channel (../shared/host.ts) acquires the VS Code API for its own message types;
 * `acquireVsCodeApi` may be called once per page, so this app has its own.
 */
import { isProfileToWebview, type ProfileToExtension, type ProfileToWebview, type ProfileWebviewState } from '../../../src/protocol/messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
}

/** Injected by VS Code into every webview; callable once per page. */
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function postToExtension(message: ProfileToExtension): void {
  api.postMessage(message);
}

export function saveState(state: ProfileWebviewState): void {
  api.setState(state);
}

/** Calls `handler` with each valid message from the extension; anything else is dropped. */
export function onExtensionMessage(handler: (message: ProfileToWebview) => void): void {
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isProfileToWebview(event.data)) handler(event.data);
  });
}
