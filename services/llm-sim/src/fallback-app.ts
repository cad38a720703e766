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

const STYLE = `
    :root { color-scheme: light dark; --bg: #f6f7fb; --card: #ffffff; --ink: #1d2433; --muted: #6b7385;
      --line: #e3e6ee; --accent: #4f6bed; --accent-ink: #ffffff; --danger: #d64545; }
    @media (prefers-color-scheme: dark) { :root { --bg: #15181f; --card: #1e222c; --ink: #e8ebf2;
      --muted: #97a0b3; --line: #2c3240; --accent: #7d93ff; --accent-ink: #10131a; } }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
    header { padding: 20px 24px 8px; }
    h1 { margin: 0; font-size: 22px; letter-spacing: -0.01em; }
    .sub { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
    main { display: grid; gap: 16px; padding: 16px 24px 24px; grid-template-columns: minmax(0, 1fr); }
    #tools { display: grid; gap: 16px; }
    #tools:empty { display: none; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px; }
    .add { display: flex; gap: 8px; }
    input[type=text] { flex: 1; padding: 9px 12px; border: 1px solid var(--line); border-radius: 8px; background: transparent; color: inherit; font: inherit; }
    button { padding: 8px 14px; border: 0; border-radius: 8px; background: var(--accent); color: var(--accent-ink); font: inherit; cursor: pointer; }
    button.ghost { background: transparent; color: var(--muted); padding: 4px 8px; }
    button.ghost:hover { color: var(--danger); }
    .filters { display: flex; gap: 6px; margin: 12px 0 4px; }
    .filters button { background: transparent; color: var(--muted); border: 1px solid var(--line); padding: 4px 10px; font-size: 13px; }
    .filters button.on { background: var(--accent); color: var(--accent-ink); border-color: var(--accent); }
    ul { list-style: none; margin: 8px 0 0; padding: 0; }
    li { display: flex; align-items: center; gap: 10px; padding: 8px 4px; border-bottom: 1px solid var(--line); }
    li:last-child { border-bottom: 0; }
    li.done span { text-decoration: line-through; color: var(--muted); }
    li span { flex: 1; overflow-wrap: anywhere; }
    .empty { color: var(--muted); text-align: center; padding: 18px 0 6px; }
    .count { color: var(--muted); font-size: 13px; margin-top: 8px; }
    .tool h2 { margin: 0 0 8px; font-size: 15px; display: flex; justify-content: space-between; align-items: center; }
    .tool pre { margin: 0; padding: 10px; background: var(--bg); border-radius: 8px; overflow: auto; font-size: 12.5px; max-height: 240px; }
    .tool table { width: 100%; border-collapse: collapse; font-size: 13.5px; }
    .tool td { padding: 5px 4px; border-bottom: 1px solid var(--line); vertical-align: top; }
    .tool td:first-child { color: var(--muted); width: 40%; }
    .error { color: var(--danger); }`;

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
      for (const button of document.querySelectorAll('.filters button')) {
        button.classList.toggle('on', button.dataset.filter === state.filter);
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
    for (const button of document.querySelectorAll('.filters button')) {
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
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  ${GENERIC_SIM_APP_MARKER}
  <title>${escapeHtml(title)}</title>
  <style>${STYLE}
  </style>
</head>
<body>
  <header>
    <h1>${escapeHtml(title)}</h1>
    <p class="sub">${escapeHtml(subtitle)}</p>
  </header>
  <main>
    <div id="tools"></div>
    <section class="card">
      <div class="add">
        <input id="text" type="text" placeholder="Add an item…" autocomplete="off" aria-label="New item">
        <button id="add" type="button">Add</button>
      </div>
      <div class="filters">
        <button data-filter="all" class="on">All</button>
        <button data-filter="open">Open</button>
        <button data-filter="done">Done</button>
      </div>
      <ul id="items"></ul>
      <p id="empty" class="empty">Nothing here yet. Add the first item above.</p>
      <p id="count" class="count"></p>
    </section>
  </main>
  <script>
    const TOOLS = ${jsLiteral(tools)};${SCRIPT}
  </script>
</body>
</html>
`;
}
