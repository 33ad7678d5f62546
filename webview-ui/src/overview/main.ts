/**
 * Entry of the model editor's webview: tabs "Overview | Graph". The overview shows the summary the
 * extension sends after the handshake; the graph view (webview-ui/src/graph) asks for the graph the
 * first time its tab opens. The tab and the selected node survive a reload (webview state).
 */
import { isModelEditorState, type ModelEditorState } from '../../../src/protocol/messages';
import { h, icon } from '../shared/dom';
import { onExtensionMessage, postToExtension, saveState, savedState } from '../shared/host';
import { GraphView } from '../graph/view';
import { renderError, renderLoading, renderOverview } from './render';

const root = document.getElementById('app');
if (!root) throw new Error('model overview: #app is missing from the page');
const app: HTMLElement = root;

/** The layout worker's script sits next to this one in dist/webview. */
const scriptUrl = (document.currentScript as HTMLScriptElement | null)?.src ?? '';
const workerUrl = new URL('graph-layout-worker.js', scriptUrl || document.baseURI).toString();

const restored = savedState();
let state: ModelEditorState = isModelEditorState(restored) ? restored : { view: 'overview' };

const overviewPane = h('div', { class: 'overview-pane', role: 'tabpanel', id: 'pane-overview', 'aria-labelledby': 'tab-overview' });
const graphPane = h('div', { class: 'graph-pane', role: 'tabpanel', id: 'pane-graph', 'aria-labelledby': 'tab-graph', hidden: 'true' });
const tab = (id: 'overview' | 'graph', iconName: string, label: string): HTMLButtonElement => {
  const b = h('button', { class: 'model-tab', role: 'tab', id: `tab-${id}`, 'aria-controls': `pane-${id}`, 'aria-selected': 'false', type: 'button', data: { testid: `tab-${id}` } }, icon(iconName), label);
  b.addEventListener('click', () => show(id));
  return b;
};
const tabs = { overview: tab('overview', 'symbol-structure', 'Overview'), graph: tab('graph', 'type-hierarchy', 'Graph') };
app.replaceChildren(h('nav', { class: 'model-tabs', role: 'tablist', 'aria-label': 'Model views' }, tabs.overview, tabs.graph), overviewPane, graphPane);

let graph: GraphView | undefined;
let graphRequested = false;

function graphView(): GraphView {
  if (!graph) {
    graph = new GraphView({
      workerUrl,
      post: postToExtension,
      onSelect: (node) => {
        state = node ? { ...state, node } : { view: state.view };
        saveState(state);
      },
    });
    graphPane.replaceChildren(graph.element);
  }
  return graph;
}

function show(view: 'overview' | 'graph'): void {
  state = { ...state, view };
  saveState(state);
  for (const [id, b] of Object.entries(tabs)) b.setAttribute('aria-selected', String(id === view));
  overviewPane.hidden = view !== 'overview';
  graphPane.hidden = view !== 'graph';
  document.body.classList.toggle('graph-active', view === 'graph');
  if (view === 'graph') {
    const g = graphView();
    if (!graphRequested) {
      graphRequested = true;
      postToExtension({ type: 'loadGraph' });
    }
    g.shown();
  }
}

function retry(): void {
  overviewPane.replaceChildren(renderLoading());
  graphRequested = false;
  postToExtension({ type: 'retry' });
  if (state.view === 'graph') show('graph');
}

/** When the last message arrived, before the channel checked it (the graph's timings start there). */
let receivedAt = 0;
window.addEventListener('message', () => (receivedAt = performance.now()), { capture: true });

overviewPane.replaceChildren(renderLoading());
onExtensionMessage((message) => {
  switch (message.type) {
    case 'summary':
      document.title = message.summary.file.name;
      overviewPane.replaceChildren(renderOverview(message.summary));
      break;
    case 'error':
      overviewPane.replaceChildren(renderError(message.code, message.message, message.hint, retry));
      if (graph) graph.showError(message.message, message.hint);
      break;
    case 'graph':
      void graphView().setGraph(message.graph, message.cost, message.timing, message.timingNote, receivedAt);
      break;
    case 'graphError':
      graphView().showError(message.message, message.hint);
      break;
    case 'graphTiming':
      graph?.setTiming(message.timing, message.timingNote);
      break;
    case 'reveal':
      show('graph');
      void graphView().reveal(message.node);
      break;
    case 'weightStats':
      graph?.weightStats(message.tensor, message.stats, message.error);
      break;
  }
});
postToExtension({ type: 'ready' });
show(state.view);
if (state.view === 'graph' && state.node) void graphView().reveal(state.node);
