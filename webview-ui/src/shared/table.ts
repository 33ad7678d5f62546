/**
 * A sortable, filterable table for the panels: click a heading to sort (again to reverse), type in
 * the filter box to keep the rows whose text columns contain it, arrow keys move between rows and
 * Enter (or a click) selects one. Rows carry `data-testid` and `data-key` for the tests.
 */
import { h } from './dom';

export interface Column<R> {
  readonly key: string;
  readonly label: string;
  /** Numbers are right-aligned and sort largest first on the first click. */
  readonly numeric?: boolean;
  /** What sorting and filtering use. */
  value(row: R): number | string;
  /** What is shown (default: the value, numbers with locale grouping). */
  render?(row: R): Node | string;
  /** A share in [0, 1] drawn as a bar next to the text. */
  share?(row: R): number;
  readonly title?: string;
}

export interface TableOptions<R> {
  readonly testId: string;
  readonly rowTestId: string;
  readonly columns: readonly Column<R>[];
  readonly rows: readonly R[];
  readonly rowKey: (row: R) => string;
  readonly sort: { readonly key: string; readonly descending: boolean };
  readonly filterPlaceholder: string;
  readonly onSelect?: (row: R) => void;
  /** Rows shown at most (the filter reaches all of them). */
  readonly limit?: number;
  readonly caption?: string;
}

export interface DataTable {
  readonly element: HTMLElement;
  /** Marks the rows whose keys are given (selection coming from elsewhere). */
  highlight(keys: ReadonlySet<string>): void;
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export function dataTable<R>(o: TableOptions<R>): DataTable {
  let sort = o.sort;
  let filter = '';
  let highlighted: ReadonlySet<string> = new Set();
  const tbody = h('tbody', null);
  const count = h('span', { class: 'muted small table-count', data: { testid: `${o.testId}-count` } });
  const heads = o.columns.map((c) => {
    const th = h('th', { scope: 'col', class: c.numeric ? 'right sortable' : 'sortable', title: c.title, tabindex: 0, data: { key: c.key } }, c.label);
    const toggle = (): void => {
      sort = sort.key === c.key ? { key: c.key, descending: !sort.descending } : { key: c.key, descending: !!c.numeric };
      render();
    };
    th.addEventListener('click', toggle);
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        toggle();
      }
    });
    return th;
  });
  const input = h('input', { type: 'search', class: 'filter', placeholder: o.filterPlaceholder, 'aria-label': o.filterPlaceholder, data: { testid: `${o.testId}-filter` } });
  input.addEventListener('input', () => {
    filter = input.value.trim().toLowerCase();
    render();
  });

  const textColumns = o.columns.filter((c) => !c.numeric);
  function visibleRows(): R[] {
    const col = o.columns.find((c) => c.key === sort.key) ?? o.columns[0]!;
    const rows = filter ? o.rows.filter((r) => textColumns.some((c) => String(c.value(r)).toLowerCase().includes(filter))) : [...o.rows];
    const dir = sort.descending ? -1 : 1;
    rows.sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true })) * dir;
    });
    return rows;
  }

  function cell(c: Column<R>, r: R): HTMLTableCellElement {
    const v = c.value(r);
    const shown = c.render ? c.render(r) : typeof v === 'number' ? numberFormat.format(v) : v;
    if (!c.share) return h('td', { class: c.numeric ? 'right num' : 'name' }, shown);
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = `${Math.min(100, Math.max(0, c.share(r) * 100))}%`;
    return h('td', { class: 'share' }, h('span', { class: 'share-cell' }, h('span', { class: 'bar', 'aria-hidden': 'true' }, fill), h('span', { class: 'num share-pct' }, shown)));
  }

  function render(): void {
    const rows = visibleRows();
    const shown = o.limit ? rows.slice(0, o.limit) : rows;
    for (const th of heads) {
      const active = th.dataset.key === sort.key;
      th.setAttribute('aria-sort', active ? (sort.descending ? 'descending' : 'ascending') : 'none');
    }
    tbody.replaceChildren(
      ...shown.map((r) => {
        const key = o.rowKey(r);
        const tr = h('tr', { tabindex: 0, class: highlighted.has(key) ? 'selected' : undefined, data: { testid: o.rowTestId, key } }, ...o.columns.map((c) => cell(c, r)));
        const select = (): void => {
          o.onSelect?.(r);
          highlight(new Set([key]));
        };
        tr.addEventListener('click', select);
        tr.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') select();
          else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            const next = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
            next?.focus();
          }
        });
        return tr;
      }),
    );
    count.textContent = `${shown.length < rows.length ? `${shown.length} of ` : ''}${rows.length} row${rows.length === 1 ? '' : 's'}${filter ? ` matching “${filter}”` : ''}`;
  }

  function highlight(keys: ReadonlySet<string>): void {
    highlighted = keys;
    for (const tr of tbody.children) tr.classList.toggle('selected', keys.has((tr as HTMLElement).dataset.key ?? ''));
  }

  render();
  const element = h(
    'div',
    { class: 'data-table', data: { testid: o.testId } },
    h('div', { class: 'table-tools' }, input, count),
    o.caption ? h('p', { class: 'muted small' }, o.caption) : null,
    h('table', null, h('thead', null, h('tr', null, ...heads)), tbody),
  );
  return { element, highlight };
}
