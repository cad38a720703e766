/**
 * What an eval suite is made of: requests, each with the checks that decide whether the
 * pipeline turned it into something that works.
 */

/** What the request should produce. */
export type EvalKind = 'app' | 'tool_app' | 'refine' | 'content' | 'tool_only' | 'failure';

/** What the page should show after a step: text (a regex source) or any visible change. */
export interface Expect {
  /** A case-insensitive regex the app's visible text must match. */
  text?: string;
  /** The visible text, the DOM or a canvas must differ from before the step. */
  changes?: boolean;
}

/**
 * A scripted interaction, written loosely enough that any reasonable app passes: buttons
 * are found by their accessible name, text goes into the first text field.
 */
export type Step =
  | { do: 'click'; button: string; expect: Expect }
  | { do: 'type'; text: string; submit?: 'enter' | { button: string }; expect: Expect }
  | { do: 'key'; key: string; times?: number; expect: Expect };

export interface AppChecks {
  /** A CSS selector at least one element must match (e.g. `canvas, svg`). */
  element?: string;
  /** Case-insensitive regexes the visible text must match once the app has loaded. */
  text?: string[];
  steps?: Step[];
  /** The app must call at least one tool while loading (and get an answer). */
  callsTool?: boolean;
}

/** Fills an arg whose name matches `arg` (regex) with `value` when the tool is called. */
export interface ArgHint {
  arg: string;
  value: unknown;
}

export interface ToolChecks {
  /** Strings the tool's output must contain somewhere (case-insensitive). */
  mentions?: string[];
  /** Numbers that must appear somewhere in the output (within 1 %). */
  numbers?: number[];
  hints?: ArgHint[];
}

export interface ContentChecks {
  type: 'text/csv' | 'application/json' | 'text/markdown' | 'text/html';
  /** CSV: at least this many data rows, and header cells matching these regexes. */
  minRows?: number;
  columns?: string[];
  /** JSON: an array with at least this many items (or an object with such an array). */
  minItems?: number;
  /** JSON items / Markdown text: keys or words that must appear. */
  mentions?: string[];
  /** Markdown: at least one heading and, when set, a table. */
  table?: boolean;
}

export interface EvalRequest {
  /** Stable id, used in results and by `--only`. */
  id: string;
  kind: EvalKind;
  prompt: string;
  /** For `refine`: the id of the earlier request whose app is refined. */
  refines?: string;
  /** For `failure`: a word the error message should contain (regex), if any. */
  failureMentions?: string;
  app?: AppChecks;
  tools?: ToolChecks;
  content?: ContentChecks;
  /** Overrides the runner's per-request timeout. */
  timeoutMs?: number;
}

export interface Suite {
  name: string;
  description: string;
  /** Files written into the tools' workspace before the run (path → content). */
  workspace: Record<string, string>;
  requests: EvalRequest[];
}
