/** Entry of the profiler panel webview: handshake, import progress, then the panel for one Profile. */
import {
  isProfilerToWebview,
  isProfilerWebviewState,
  profileFromMessage,
  type ProfilerSource,
  type ProfilerToExtension,
  type ProfilerToWebview,
  type ProfilerWebviewState,
} from '../../../src/protocol/messages';
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
let source: ProfilerSource | undefined;

const sameSource = (a: ProfilerSource, b: ProfilerSource): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Keeps the source and the view in VS Code's webview state (checked twice a second: cheap, and no event is missed). */
let lastSaved = '';
function saveView(): void {
  if (!source) return;
  const view = current?.view();
  const state: ProfilerWebviewState = view ? { source, view } : { source };
  const text = JSON.stringify(state);
  if (text === lastSaved) return;
  lastSaved = text;
  channel.saveState(state);
}
setInterval(saveView, 500);
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
      // After a hide/show or a reload the webview starts afresh: put the user back where they were.
      const saved = channel.savedState();
      const restore = isProfilerWebviewState(saved) && sameSource(saved.source, message.source) ? saved.view : undefined;
      document.title = message.title;
      current?.dispose();
      current = renderPanel(message.title, message.source, profile, message.run, channel.post, restore, message.torch, message.findings);
      app.replaceChildren(current.element);
      current.mount();
      source = message.source;
      saveView();
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
