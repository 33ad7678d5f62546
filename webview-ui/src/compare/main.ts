/** Entry of the comparison webview: handshake, then render the comparison the extension sends. */
import { isComparisonToWebview, type ComparisonToExtension, type ComparisonToWebview, type ComparisonWebviewState } from '../../../src/protocol/messages';
import { createChannel } from '../shared/channel';
import { h, icon } from '../shared/dom';
import { renderError } from '../shared/error-box';
import { renderComparison } from './render';

const root = document.getElementById('app');
if (!root) throw new Error('comparison: #app is missing from the page');
const app: HTMLElement = root;
const channel = createChannel<ComparisonToExtension, ComparisonToWebview, ComparisonWebviewState>(isComparisonToWebview);

app.replaceChildren(h('div', { class: 'state loading', data: { testid: 'loading' } }, icon('loading', { spin: true }), 'Loading the comparison…'));
channel.onMessage((message) => {
  switch (message.type) {
    case 'comparison':
      channel.saveState({ filePath: message.filePath });
      document.title = `Compare: ${message.comparison.a.name} → ${message.comparison.b.name}`;
      app.replaceChildren(renderComparison(message.comparison, message.filePath, channel.post));
      break;
    case 'error':
      app.replaceChildren(renderError(message.message, message.hint, 'Could not show this comparison'));
      break;
  }
});
channel.post({ type: 'ready' });
