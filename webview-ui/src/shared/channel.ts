/**
 * A webview's side of its message channel: typed posting to the extension, validated receiving,
 * and the state VS Code keeps for the panel. `acquireVsCodeApi` may be called once per page, so
 * each app creates one channel at start-up.
 */

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
  getState(): unknown;
}

/** Injected by VS Code into every webview; callable once per page. */
declare function acquireVsCodeApi(): VsCodeApi;

export interface Channel<ToExtension, ToWebview, State> {
  post(message: ToExtension): void;
  saveState(state: State): void;
  /** The state saved before a reload (unchecked). */
  savedState(): unknown;
  /** Calls `handler` with each message from the extension that `isToWebview` accepts; anything else is dropped. */
  onMessage(handler: (message: ToWebview) => void): void;
}

export function createChannel<ToExtension, ToWebview, State>(isToWebview: (x: unknown) => x is ToWebview): Channel<ToExtension, ToWebview, State> {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    saveState: (state) => api.setState(state),
    savedState: () => api.getState(),
    onMessage: (handler) =>
      window.addEventListener('message', (event: MessageEvent<unknown>) => {
        if (isToWebview(event.data)) handler(event.data);
      }),
  };
}
