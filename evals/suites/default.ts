import type { EvalRequest, Suite } from '../types';
import { FACTS, WORKSPACE } from './workspace';

const PATH_ARG = 'path|file|filename|name';

/** Apps without tools: games, editors, utilities and visualizations with the vendored libraries. */
const apps: EvalRequest[] = [
  {
    id: 'counter',
    kind: 'app',
    prompt: 'Build a click counter with a big + button and a Reset button.',
    app: {
      steps: [
        { do: 'click', button: '^\\+$|increment|plus|add', expect: { text: '\\b1\\b' } },
        { do: 'click', button: 'reset', expect: { text: '\\b0\\b' } },
      ],
    },
  },
  {
    id: 'scratch-pad',
    kind: 'app',
    prompt:
      'A scratch pad where I type a note, press Add, and it appears in a list below the field.',
    app: {
      steps: [
        {
          do: 'type',
          text: 'Buy oat milk',
          submit: { button: '^add' },
          expect: { text: 'Buy oat milk' },
        },
      ],
    },
  },
  {
    id: 'todo',
    kind: 'app',
    prompt: 'A to-do list: type a task, press Enter to add it, click a task to mark it done.',
    app: {
      steps: [
        {
          do: 'type',
          text: 'Water the plants',
          submit: 'enter',
          expect: { text: 'Water the plants' },
        },
      ],
    },
  },
  {
    id: 'tic-tac-toe',
    kind: 'app',
    prompt: 'A tic-tac-toe game for two players on one screen, with a New game button.',
    app: {
      text: ['\\b(x|o|player|turn)\\b'],
      steps: [{ do: 'click', button: 'new game|restart|reset', expect: {} }],
    },
  },
  {
    id: 'snake',
    kind: 'app',
    prompt: 'A snake game on a canvas, controlled with the arrow keys, with a score.',
    app: {
      element: 'canvas',
      text: ['score'],
      steps: [{ do: 'key', key: 'ArrowDown', times: 3, expect: { changes: true } }],
    },
  },
  {
    id: 'memory',
    kind: 'app',
    prompt: 'A memory card game with 16 cards that flip when clicked, and a moves counter.',
    app: { text: ['moves'] },
  },
  {
    id: 'pomodoro',
    kind: 'app',
    prompt: 'A pomodoro timer showing 25:00 with Start and Reset buttons.',
    app: {
      text: ['25:00'],
      steps: [{ do: 'click', button: 'start', expect: { changes: true } }],
    },
  },
  {
    id: 'markdown-editor',
    kind: 'app',
    prompt: 'A Markdown editor with a text area on the left and a live preview on the right.',
    app: {
      steps: [{ do: 'type', text: '# Hello evals', expect: { text: 'Hello evals' } }],
    },
  },
  {
    id: 'calculator',
    kind: 'app',
    prompt: 'A calculator with buttons for the digits, + - × ÷, = and a display.',
    app: {
      steps: [
        { do: 'click', button: '^7$', expect: { text: '7' } },
        { do: 'click', button: '^\\+$|plus|add', expect: {} },
        { do: 'click', button: '^2$', expect: { text: '2' } },
        { do: 'click', button: '^=$|equals', expect: { text: '\\b9\\b' } },
      ],
    },
  },
  {
    id: 'unit-converter',
    kind: 'app',
    prompt: 'A unit converter: type a distance in kilometres and see it in miles.',
    app: {
      steps: [
        {
          do: 'type',
          text: '10',
          submit: { button: 'convert' },
          expect: { text: '6[.,]2' },
        },
      ],
    },
  },
  {
    id: 'rainfall-chart',
    kind: 'app',
    prompt: 'A bar chart of monthly rainfall for one year with made-up data, drawn with Chart.js.',
    app: { element: 'canvas' },
  },
  {
    id: 'scatter-d3',
    kind: 'app',
    prompt: 'A scatter plot of 50 random points drawn with d3, with axes and a Regenerate button.',
    app: {
      element: 'svg',
      steps: [{ do: 'click', button: 'regenerate|new|random', expect: { changes: true } }],
    },
  },
  {
    id: 'cube-three',
    kind: 'app',
    prompt: 'A rotating 3D cube rendered with three.js.',
    app: { element: 'canvas' },
  },
  {
    id: 'drawing-pad',
    kind: 'app',
    prompt:
      'A drawing pad: draw on a canvas with the mouse, pick a colour, and clear it with a Clear button.',
    app: {
      element: 'canvas',
      steps: [{ do: 'click', button: 'clear', expect: {} }],
    },
  },
  {
    id: 'stopwatch',
    kind: 'app',
    prompt: 'A stopwatch with Start, Stop and Lap buttons; the laps are listed below.',
    app: { steps: [{ do: 'click', button: 'start', expect: { changes: true } }] },
  },
  {
    id: 'dice',
    kind: 'app',
    prompt: 'A dice roller: a Roll button rolls two dice and shows their total.',
    app: { steps: [{ do: 'click', button: 'roll', expect: { text: 'total' } }] },
  },
  {
    id: 'quiz',
    kind: 'app',
    prompt:
      'A quiz of five capital-city questions with multiple-choice buttons and the score at the end.',
    app: { text: ['capital|question'] },
  },
  {
    id: 'palette',
    kind: 'app',
    prompt:
      'A colour palette generator: a Generate button shows five random colours with their hex codes.',
    app: {
      steps: [{ do: 'click', button: 'generate', expect: { text: '#[0-9a-f]{6}' } }],
    },
  },
  {
    id: 'kanban',
    kind: 'app',
    prompt: 'A kanban board with To do, Doing and Done columns, where I can add cards.',
    app: {
      text: ['to ?do', 'doing', 'done'],
      steps: [
        {
          do: 'type',
          text: 'Eval card',
          submit: { button: 'add' },
          expect: { text: 'Eval card' },
        },
      ],
    },
  },
  {
    id: 'json-formatter',
    kind: 'app',
    prompt:
      'A JSON formatter: paste JSON into a text area and it is shown pretty-printed, or it says what is wrong.',
    app: {
      steps: [
        {
          do: 'type',
          text: '{"alpha":1,"beta":[2,3]}',
          submit: { button: 'format|pretty|beautify' },
          expect: { text: '"?alpha"?\\s*:' },
        },
      ],
    },
  },
  {
    id: 'haiku-ask',
    kind: 'app',
    prompt:
      'A haiku writer: type a topic, press Write, and the model writes a haiku about it (the app asks the model itself).',
    app: {
      steps: [
        {
          do: 'type',
          text: 'autumn rain',
          submit: { button: 'write|generate|create' },
          expect: { changes: true },
        },
      ],
    },
  },
];

/** Apps that need new tools: files in the prepared workspace, processes, system info. */
const toolApps: EvalRequest[] = [
  {
    id: 'workspace-files',
    kind: 'tool_app',
    prompt: 'Show me a table of the files in my workspace with their sizes.',
    app: { callsTool: true, text: ['sales\\.csv'] },
    tools: { mentions: ['sales.csv', 'todo.txt'], hints: [{ arg: 'folder|dir|path', value: '.' }] },
  },
  {
    id: 'todo-file',
    kind: 'tool_app',
    prompt: 'Show the lines of notes/todo.txt from my workspace as a checklist.',
    app: { callsTool: true, text: ['call the plumber'] },
    tools: { mentions: ['call the plumber'], hints: [{ arg: PATH_ARG, value: 'notes/todo.txt' }] },
  },
  {
    id: 'sales-by-region',
    kind: 'tool_app',
    prompt: 'Read data/sales.csv from my workspace and show the amount per region as a bar chart.',
    app: { callsTool: true, element: 'canvas, svg' },
    tools: {
      mentions: ['north', 'west'],
      numbers: [1200],
      hints: [{ arg: PATH_ARG, value: 'data/sales.csv' }],
    },
  },
  {
    id: 'log-errors',
    kind: 'tool_app',
    prompt: 'List the ERROR lines of logs/app.log in my workspace, newest first, with a count.',
    app: { callsTool: true, text: ['disk full'] },
    tools: {
      mentions: ['disk full', 'division by zero'],
      hints: [{ arg: PATH_ARG, value: 'logs/app.log' }],
    },
  },
  {
    id: 'system-info',
    kind: 'tool_app',
    prompt: "A dashboard with this machine's CPU count, memory use and uptime.",
    app: { callsTool: true, text: ['cpu'] },
    tools: {},
  },
  {
    id: 'processes',
    kind: 'tool_app',
    prompt: 'A table of the running processes with their PID and memory use, and a Refresh button.',
    app: {
      callsTool: true,
      text: ['pid'],
      steps: [{ do: 'click', button: 'refresh', expect: {} }],
    },
    // Inside the sandbox the tool sees its own processes: the Python interpreter.
    tools: { mentions: ['python'] },
  },
  {
    id: 'disk-usage',
    kind: 'tool_app',
    prompt: 'Show how much space each top-level folder of my workspace takes, as a pie chart.',
    app: { callsTool: true, element: 'canvas, svg' },
    tools: { mentions: ['notes', 'data', 'logs'], hints: [{ arg: 'folder|dir|path', value: '.' }] },
  },
  {
    id: 'people-cards',
    kind: 'tool_app',
    prompt: 'Show the people in data/people.json from my workspace as cards with name and age.',
    app: { callsTool: true, text: ['Grace', '45'] },
    tools: { mentions: ['Grace', 'Linus'], hints: [{ arg: PATH_ARG, value: 'data/people.json' }] },
  },
  {
    id: 'file-search',
    kind: 'tool_app',
    prompt: 'Search the text files in my workspace for a word I type and show the matching lines.',
    app: {
      steps: [
        {
          do: 'type',
          text: 'plumber',
          submit: { button: 'search|find|go' },
          expect: { text: 'call the plumber' },
        },
      ],
    },
    tools: {
      mentions: ['call the plumber'],
      hints: [
        { arg: 'query|word|term|text|pattern|search|needle|^q$', value: 'plumber' },
        { arg: 'folder|dir|root', value: '.' },
      ],
    },
  },
];

/** Tools run once, the result shown as it is. */
const toolOnly: EvalRequest[] = [
  {
    id: 'count-todo-lines',
    kind: 'tool_only',
    prompt: 'How many lines does notes/todo.txt in my workspace have?',
    tools: { numbers: [FACTS.todoLines], hints: [{ arg: PATH_ARG, value: 'notes/todo.txt' }] },
  },
  {
    id: 'list-data-folder',
    kind: 'tool_only',
    prompt: "List the files in my workspace's data folder.",
    tools: {
      mentions: ['sales.csv', 'people.json'],
      hints: [{ arg: 'folder|dir|path', value: 'data' }],
    },
  },
  {
    id: 'count-log-errors',
    kind: 'tool_only',
    prompt: 'How many ERROR lines are there in logs/app.log in my workspace?',
    tools: { numbers: [FACTS.errorLines], hints: [{ arg: PATH_ARG, value: 'logs/app.log' }] },
  },
];

/** Refines of apps made earlier in the suite. */
const refines: EvalRequest[] = [
  {
    id: 'counter-minus',
    kind: 'refine',
    refines: 'counter',
    prompt: 'Add a minus button that decreases the count.',
    app: {
      steps: [
        { do: 'click', button: '^\\+$|increment|plus', expect: { text: '\\b1\\b' } },
        { do: 'click', button: '^[-−–]$|minus|decrement', expect: { text: '\\b0\\b' } },
      ],
    },
  },
  {
    id: 'todo-clear-done',
    kind: 'refine',
    refines: 'todo',
    prompt: 'Add a button that removes all completed tasks, and show how many tasks are left.',
    app: {
      steps: [
        { do: 'type', text: 'Refined task', submit: 'enter', expect: { text: 'Refined task' } },
        { do: 'click', button: 'clear|remove|delete', expect: {} },
      ],
    },
  },
  {
    id: 'snake-high-score',
    kind: 'refine',
    refines: 'snake',
    prompt: 'Make the snake green and show the high score next to the score.',
    app: { element: 'canvas', text: ['high ?score|best'] },
  },
  {
    id: 'chart-to-line',
    kind: 'refine',
    refines: 'rainfall-chart',
    prompt: "Make it a line chart and add the heading 'Rainfall 2024' above it.",
    app: { element: 'canvas', text: ['Rainfall 2024'] },
  },
  {
    id: 'calculator-clear',
    kind: 'refine',
    refines: 'calculator',
    prompt: 'Add a C button that clears the display.',
    app: {
      steps: [
        { do: 'click', button: '^7$', expect: { text: '7' } },
        { do: 'click', button: '^c$|^ac$|clear', expect: { changes: true } },
      ],
    },
  },
  {
    id: 'files-filter',
    kind: 'refine',
    refines: 'workspace-files',
    prompt: 'Add a filter box that only shows the files whose name contains what I type.',
    app: {
      callsTool: true,
      steps: [{ do: 'type', text: 'sales', expect: { text: 'sales\\.csv' } }],
    },
  },
];

/** Raw content: the person wants data or a document, not an app. */
const content: EvalRequest[] = [
  {
    id: 'sales-csv',
    kind: 'content',
    prompt:
      'Give me a CSV of 12 months of made-up sales figures with the columns month, units and revenue.',
    content: { type: 'text/csv', minRows: 12, columns: ['month', 'units', 'revenue'] },
  },
  {
    id: 'books-json',
    kind: 'content',
    prompt: 'Give me JSON: an array of 5 fictional books with title, author and year.',
    content: { type: 'application/json', minItems: 5, mentions: ['title', 'author', 'year'] },
  },
  {
    id: 'git-cheatsheet',
    kind: 'content',
    prompt: 'Write a Markdown cheat sheet for git with a table of the common commands.',
    content: { type: 'text/markdown', table: true, mentions: ['git commit'] },
  },
  {
    id: 'planets-csv',
    kind: 'content',
    prompt:
      'A CSV of the planets of the solar system with name, diameter in km and number of moons.',
    content: { type: 'text/csv', minRows: 8, columns: ['name|planet', 'diameter', 'moons'] },
  },
  {
    id: 'poem-html',
    kind: 'content',
    prompt: 'An HTML page with a short poem about the sea.',
    content: { type: 'text/html', mentions: ['sea'] },
  },
];

/**
 * Requests that cannot work here (no network, no devices in the sandbox): the run should
 * end FAILED with a reason a person can act on, not hang or pretend.
 */
const failures: EvalRequest[] = [
  {
    id: 'bitcoin-network',
    kind: 'failure',
    prompt: 'Show the live bitcoin price from api.coinbase.com, refreshed every minute.',
    failureMentions: 'bitcoin|tool|network',
  },
  {
    id: 'weather-network',
    kind: 'failure',
    prompt: 'Show the current weather in Paris from the api.open-meteo.com web API.',
    failureMentions: 'tool|network',
  },
  {
    id: 'usb-thermometer',
    kind: 'failure',
    prompt: 'Read the temperature from the USB thermometer at /dev/ttyUSB0 and chart it live.',
    failureMentions: 'tool|device|ttyUSB0',
  },
];

export const defaultSuite: Suite = {
  name: 'default',
  description:
    'Apps without tools, apps that need new tools, tool-only requests, refines, raw content and deliberate failures.',
  workspace: WORKSPACE,
  requests: [...apps, ...toolApps, ...toolOnly, ...refines, ...content, ...failures],
};
