/** Entry of the profile results webview: handshake, then render the run the extension sends. */
import { h, icon } from '../shared/dom';
import { onExtensionMessage, postToExtension, saveState } from './channel';
import { renderRun } from './render';
import { renderError } from '../shared/error-box';

const root = document.getElementById('app');
if (!root) throw new Error('profile results: #app is missing from the page');
const app: HTMLElement = root;

app.replaceChildren(h('div', { class: 'state loading', data: { testid: 'loading' } }, icon('loading', { spin: true }), 'Loading the profile…'));
onExtensionMessage((message) => {
  switch (message.type) {
    case 'run':
      saveState({ runFilePath: message.runFilePath });
      document.title = `Profile: ${message.run.model.name}`;
      app.replaceChildren(renderRun(message.run, message.runFilePath, postToExtension, message.findings));
      break;
    case 'error':
      app.replaceChildren(renderError(message.message, message.hint));
      break;
  }
});
postToExtension({ type: 'ready' });
