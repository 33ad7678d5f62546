/** Entry of the model overview webview: handshake, then render what the extension sends. */
import { onExtensionMessage, postToExtension } from '../shared/host';
import { renderError, renderLoading, renderOverview } from './render';

const root = document.getElementById('app');
if (!root) throw new Error('model overview: #app is missing from the page');
const app: HTMLElement = root;

function show(view: HTMLElement): void {
  app.replaceChildren(view);
}

function retry(): void {
  show(renderLoading());
  postToExtension({ type: 'retry' });
}

show(renderLoading());
onExtensionMessage((message) => {
  switch (message.type) {
    case 'summary':
      document.title = message.summary.file.name;
      show(renderOverview(message.summary));
      break;
    case 'error':
      show(renderError(message.code, message.message, message.hint, retry));
      break;
  }
});
postToExtension({ type: 'ready' });
