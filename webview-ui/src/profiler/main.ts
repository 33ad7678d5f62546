/** Entry of the profiler panel webview: handshake, import progress, then the panel for one Profile. */
import { isProfilerToWebview, profileFromMessage, type ProfilerToExtension, type ProfilerToWebview, type ProfilerWebviewState } from '../../../src/protocol/messages';
import { createChannel } from '../shared/channel';
import { h, icon } from '../shared/dom';
import { renderPanel, type RenderedPanel } from './render';
import { renderError } from '../shared/error-box';

const root = document.getElementById('app');
if (!root) throw new Error('profiler: #app is missing from the page');
const app: HTMLElement = root;
const channel = createChannel<ProfilerToExtension, ProfilerToWebview, ProfilerWebviewState>(isProfilerToWebview);

const loading = (message: string): HTMLElement => h('div', { class: 'state loading', data: { testid: 'loading' } }, icon('loading', { spin: true }), message);

let current: RenderedPanel | undefined;
app.replaceChildren(loading('Loading the profile…'));
channel.onMessage((message) => {
  switch (message.type) {
    case 'loading':
      if (!current) app.replaceChildren(loading(message.message));
      break;
    case 'profile': {
      const profile = profileFromMessage(message.profile);
      if (!profile) {
        app.replaceChildren(renderError('The profile sent to this panel is malformed.', 'Import the trace again; if it keeps happening, report it with the trace.'));
        break;
      }
      channel.saveState({ source: message.source });
      document.title = message.title;
      current?.dispose();
      current = renderPanel(message.title, message.source, profile, message.run, channel.post);
      app.replaceChildren(current.element);
      current.mount();
      break;
    }
    case 'error':
      current?.dispose();
      current = undefined;
      app.replaceChildren(renderError(message.message, message.hint));
      break;
  }
});
channel.post({ type: 'ready' });
