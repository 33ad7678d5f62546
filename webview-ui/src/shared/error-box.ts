/** The error state of a panel: what went wrong and, when known, what to do. */
import { h, icon } from './dom';

export function renderError(message: string, hint: string, title = 'Could not show this profile'): HTMLElement {
  return h(
    'div',
    { class: 'state error', role: 'alert', data: { testid: 'error' } },
    h('h2', null, icon('error'), title),
    h('p', { class: 'error-message' }, message),
    hint ? h('p', { class: 'error-hint' }, icon('lightbulb'), h('span', null, hint)) : null,
  );
}
