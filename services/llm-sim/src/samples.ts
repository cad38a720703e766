import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The gallery: hand-written apps the simulator answers common requests with, so a demo shows
 * what Hyperdesk makes. Each is a readable file in `samples/` (beside `src/` and `dist/`, so
 * the source and the bundle find it alike), chosen by the words of the request. The words
 * are specific ("pomodoro", "kanban"), never common ones like "list" or "notes" alone:
 * anything else still gets the generic app.
 */

export const SAMPLES_DIR = fileURLToPath(new URL('../samples/', import.meta.url));

export interface Sample {
  file: string;
  /** The window title the classification gives. */
  title: string;
  /** Tested against the request. */
  words: RegExp;
  /** Tools the app calls (the fallback planner designs those the library lacks). */
  tools: readonly string[];
  /** A request to try, as the desktop suggests it. */
  example: string;
}

export const SAMPLES: readonly Sample[] = [
  {
    file: 'pomodoro.html',
    title: 'Pomodoro Timer',
    words: /\bpomodoro\b|\bfocus timer\b/i,
    tools: [],
    example: 'a pomodoro timer',
  },
  {
    file: 'notes.html',
    title: 'Markdown Notes',
    words: /\bmarkdown\b.*\b(notes?|editor|preview)\b|\b(notes?|editor)\b.*\bmarkdown\b/i,
    tools: [],
    example: 'markdown notes with a live preview',
  },
  {
    file: 'calculator.html',
    title: 'Calculator',
    words: /\bcalculator\b/i,
    tools: [],
    example: 'a calculator',
  },
  {
    file: 'kanban.html',
    title: 'Kanban Board',
    words: /\bkanban\b/i,
    tools: [],
    example: 'a kanban board with drag and drop',
  },
  {
    file: 'expenses.html',
    title: 'Expense Tracker',
    words: /\bexpenses?\b|\bspending tracker\b/i,
    tools: [],
    example: 'an expense tracker with a chart',
  },
  {
    file: 'converter.html',
    title: 'Unit Converter',
    words:
      /\bunits? converter\b|\bconvert(ing)? units\b|\b(length|distance|weight|temperature|speed|volume) converter\b/i,
    tools: [],
    example: 'a unit converter',
  },
  {
    file: 'snake.html',
    title: 'Snake',
    words: /\bsnake\b|\bcanvas game\b|\barcade game\b/i,
    tools: [],
    example: 'a snake game',
  },
  {
    file: 'system-monitor.html',
    title: 'System Monitor',
    words: /\bsystem monitor\b|\b(cpu|system|resource) (usage )?(monitor|dashboard)\b/i,
    tools: ['system_stats'],
    example: 'a system monitor with a live chart',
  },
];

/** The sample a request asks for, if any. */
export function sampleFor(request: string): Sample | null {
  return SAMPLES.find((sample) => sample.words.test(request)) ?? null;
}

const documents = new Map<string, string>();

/** The sample's HTML, read once. */
export function sampleDocument(sample: Sample): string {
  let html = documents.get(sample.file);
  if (html === undefined) {
    html = readFileSync(`${SAMPLES_DIR}${sample.file}`, 'utf8');
    documents.set(sample.file, html);
  }
  return html;
}
