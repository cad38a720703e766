import { GENERIC_SIM_APP_MARKER } from '@hyperdesk/shared';

/**
 * The app the simulator writes when no scenario matches app_generate / app_repair: a small,
 * complete list app titled after the request, with a panel per listed tool that calls it
 * through `hyperdesk.tool`. It keeps state in memory (sandboxed apps have no storage). Its
 * marker lets demo mode tell the person that the request matched none of the samples.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON is a valid JS literal; `<` is escaped so no string can close the script element. */
function jsLiteral(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** Only what the design system lacks: it styles the fields, buttons, lists and cards. */
const STYLE = `
    main { max-width: 720px; }
    .sub { margin: 0; }
    #tools:empty { display: none; }
    #text { flex: 1; }
    #items:empty { display: none; }
    li.done span { text-decoration: line-through; color: var(--hd-muted); }
    li span { flex: 1; overflow-wrap: anywhere; }
    .tool h2 { display: flex; justify-content: space-between; align-items: center; font-size: 1rem; }
    .tool pre { max-height: 240px; margin: 0; }
    .tool td:first-child { color: var(--hd-muted); width: 40%; }
    .error { color: var(--hd-danger); }`;

const SCRIPT = `
    const state = { items: [], filter: 'all', nextId: 1 };
    const $ = (id) => document.getElementById(id);

    function render() {
      const list = $('items');
      list.textContent = '';
      const shown = state.items.filter((item) =>
        state.filter === 'all' ? true : state.filter === 'done' ? item.done : !item.done);
      for (const item of shown) {
        const li = document.createElement('li');
        li.className = item.done ? 'done' : '';
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = item.done;
        box.addEventListener('change', () => { item.done = box.checked; render(); });
        const text = document.createElement('span');
        text.textContent = item.text;
        const remove = document.createElement('button');
        remove.className = 'ghost';
        remove.setAttribute('aria-label', 'Remove ' + item.text);
        remove.title = 'Remove';
        remove.textContent = '✕';
        remove.addEventListener('click', () => {
          state.items = state.items.filter((other) => other.id !== item.id);
          render();
        });
        li.append(box, text, remove);
        list.append(li);
      }
      $('empty').hidden = shown.length > 0;
      const open = state.items.filter((item) => !item.done).length;
      $('count').textContent = state.items.length === 0 ? '' : open + ' open · ' + (state.items.length - open) + ' done';
      for (const button of document.querySelectorAll('.tabs button')) {
        button.setAttribute('aria-selected', String(button.dataset.filter === state.filter));
      }
    }

    // A window's frame may not submit forms: the button and Enter add the item.
    function add() {
      const input = $('text');
      const text = input.value.trim();
      if (!text) return;
      state.items.unshift({ id: state.nextId++, text, done: false });
      input.value = '';
      render();
    }
    $('add').addEventListener('click', add);
    $('text').addEventListener('keydown', (event) => {
      if (event.key === 'Enter') add();
    });
    for (const button of document.querySelectorAll('.tabs button')) {
      button.addEventListener('click', () => { state.filter = button.dataset.filter; render(); });
    }

    function showResult(target, value) {
      target.textContent = '';
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const table = document.createElement('table');
        for (const [key, field] of Object.entries(value)) {
          const row = table.insertRow();
          row.insertCell().textContent = key;
          row.insertCell().textContent = typeof field === 'object' ? JSON.stringify(field) : String(field);
        }
        target.append(table);
      } else {
        const pre = document.createElement('pre');
        pre.textContent = JSON.stringify(value, null, 2);
        target.append(pre);
      }
    }

    async function runTool(name, target) {
      target.textContent = 'Loading…';
      if (typeof hyperdesk === 'undefined') {
        target.textContent = 'The tool bridge is not available here.';
        return;
      }
      try {
        showResult(target, await hyperdesk.tool(name, {}));
      } catch (err) {
        target.innerHTML = '';
        const message = document.createElement('p');
        message.className = 'error';
        message.textContent = 'The tool failed: ' + (err && err.message ? err.message : String(err));
        target.append(message);
      }
    }

    for (const name of TOOLS) {
      const card = document.createElement('section');
      card.className = 'card tool';
      const heading = document.createElement('h2');
      heading.textContent = name.replace(/_/g, ' ');
      const refresh = document.createElement('button');
      refresh.textContent = 'Refresh';
      const body = document.createElement('div');
      refresh.addEventListener('click', () => runTool(name, body));
      heading.append(refresh);
      card.append(heading, body);
      $('tools').append(card);
      runTool(name, body);
    }

    render();`;

export function fallbackApp(title: string, request: string, tools: readonly string[]): string {
  const subtitle = request.length > 140 ? `${request.slice(0, 137)}…` : request;
  // The generation contract: a minimal head, the visible markup, a short stylesheet, the script.
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  ${GENERIC_SIM_APP_MARKER}
  <title>${escapeHtml(title)}</title>
</head>
<body>
  <main class="stack">
    <header>
      <h1>${escapeHtml(title)}</h1>
      <p class="sub muted">${escapeHtml(subtitle)}</p>
    </header>
    <div id="tools" class="stack"></div>
    <section class="card stack">
      <div class="row">
        <input id="text" type="text" placeholder="Add an item…" autocomplete="off" aria-label="New item">
        <button id="add" type="button" class="primary">Add</button>
      </div>
      <div class="tabs" role="tablist" aria-label="Show">
        <button data-filter="all" role="tab" aria-selected="true">All</button>
        <button data-filter="open" role="tab" aria-selected="false">Open</button>
        <button data-filter="done" role="tab" aria-selected="false">Done</button>
      </div>
      <ul id="items" class="list"></ul>
      <p id="empty" class="empty">Nothing here yet. Add the first item above.</p>
      <p id="count" class="muted"></p>
    </section>
  </main>
  <style>${STYLE}
  </style>
  <script>
    const TOOLS = ${jsLiteral(tools)};${SCRIPT}
  </script>
</body>
</html>
`;
}
