/**
 * Recommendations (src/core/recommend) in a panel header: what was found, the numbers behind it,
 * the nodes it is about, and an Apply button for those with a fix (the extension transforms the
 * model, verifies it against the original and opens the comparison). `data-testid="finding"` with
 * `data-id`, and `data-testid="apply-fix"`, are a contract with the tests.
 */
import { fixTitle, type Finding } from '../../../src/core/recommend';
import { h, icon } from './dom';

const SEVERITY_ICON: Readonly<Record<Finding['severity'], string>> = { high: 'warning', medium: 'lightbulb', low: 'info' };

export function renderFindings(findings: readonly Finding[] | undefined, onApply: ((findingId: string) => void) | undefined): HTMLElement | null {
  if (!findings?.length) return null;
  return h(
    'section',
    { class: 'findings', data: { testid: 'findings-recommend' }, 'aria-label': 'Recommendations' },
    h('h2', null, icon('sparkle'), `Recommendations (${findings.length})`),
    h(
      'ul',
      null,
      ...findings.map((f) => {
        const apply =
          f.fix && onApply
            ? (() => {
                const b = h('button', { class: 'button', type: 'button', title: 'Writes a new model next to this one, checks its outputs against this model on the same inputs, profiles both and opens the comparison', data: { testid: 'apply-fix', id: f.id } }, icon('wand'), `Apply: ${fixTitle(f.fix)}`);
                b.addEventListener('click', () => {
                  onApply(f.id);
                  // The extension shows the progress; keep a double click from starting it twice.
                  b.disabled = true;
                  setTimeout(() => (b.disabled = false), 3000);
                });
                return b;
              })()
            : null;
        return h(
          'li',
          { class: `finding severity-${f.severity}`, data: { testid: 'finding', id: f.id, severity: f.severity } },
          h('div', { class: 'finding-head' }, icon(SEVERITY_ICON[f.severity]), h('span', { class: 'finding-title' }, f.title), apply),
          h('p', { class: 'finding-detail muted' }, f.detail),
          h('ul', { class: 'evidence' }, ...f.evidence.map((e) => h('li', { data: { testid: 'evidence', label: e.label, value: e.value } }, h('span', { class: 'num' }, e.text)))),
          f.nodes?.length ? h('p', { class: 'finding-nodes small' }, 'Nodes: ', ...f.nodes.slice(0, 12).flatMap((n, i) => [i ? ', ' : '', h('code', null, n)]), f.nodes.length > 12 ? `, … ${f.nodes.length - 12} more` : '') : null,
        );
      }),
    ),
  );
}
