import {
  ClassifyReply,
  chatJsonForRun,
  describeOpenWindows,
  type OpenWindow,
  type Intent,
  type LlmClient,
  type Next,
  type RunRecord,
  type RunStore,
  type ToolStore,
} from '@hyperdesk/shared';

export type Classification = ClassifyReply;

const SYSTEM = `You route requests on Hyperdesk, a desktop whose apps and tools are generated on demand.
Classify the person's request and reply with only a JSON object:
{"intent": "...", "title": "...", "tools": [...], "needsNewTools": false, "contentType": "..."}
intent is one of:
- "new_app": an interactive app (UI) to open in a new window;
- "update_app": a change to the current app (only when a current app is given);
- "tool_only": run a host tool once and show its result, no UI;
- "virtual_response": raw content to view or download (CSV, JSON, Markdown, an HTML page);
- "diagnose_error": runtime errors of the current app are attached and must be fixed.
title: a short window title (max 6 words).
tools: names of listed existing tools the request needs.
needsNewTools: true only if the request needs host access (files, processes, system
information, hardware) that no listed tool provides.
contentType: the MIME type, for virtual_response only.
appId: when no current app is given but the request changes one of the open windows' apps
("add a button to my notes window"), intent "update_app" and that window's app id. A request
that only reads another window's data ("chart the numbers from my CSV window") is a
"new_app" that uses that window's published context keys; leave appId out then.`;

export interface ToolBrief {
  name: string;
  description: string;
}

/** About 1,000 tokens: the library's share of the classify prompt, however large it grows. */
const CATALOG_MAX_CHARS = 4_000;
const DESCRIPTION_MAX_CHARS = 120;

function words(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length >= 3),
  );
}

/**
 * The tool library as the classifier sees it: `- name: description`, one line per tool, at
 * most `maxChars`. A library that does not fit lists first the tools that share words with
 * the request (then the newest), and says how many it left out.
 */
export function toolCatalog(
  tools: readonly ToolBrief[],
  request: string,
  maxChars = CATALOG_MAX_CHARS,
): string {
  const wanted = words(request);
  const score = (t: ToolBrief): number =>
    [...words(`${t.name.replace(/_/g, ' ')} ${t.description}`)].filter((w) => wanted.has(w)).length;
  // Array.prototype.sort is stable: equal scores keep the library's newest-first order.
  const ranked = [...tools].sort((a, b) => score(b) - score(a));
  const lines: string[] = [];
  let used = 0;
  for (const tool of ranked) {
    const description =
      tool.description.length > DESCRIPTION_MAX_CHARS
        ? `${tool.description.slice(0, DESCRIPTION_MAX_CHARS - 1)}…`
        : tool.description;
    const line = `- ${tool.name}: ${description.replace(/\s+/g, ' ')}`;
    if (used + line.length + 1 > maxChars) break;
    lines.push(line);
    used += line.length + 1;
  }
  const left = tools.length - lines.length;
  if (left > 0) {
    const related = ranked.slice(lines.length).some((t) => score(t) > 0);
    lines.push(
      `(${left} more tools not listed${related ? '' : ': none of them shares words with the request'})`,
    );
  }
  return lines.join('\n');
}

export interface ClassifyContext {
  toolCatalog: string;
  currentAppTitle?: string;
  /** The app windows open on the person's desktop (none when refining a given app). */
  openWindows?: OpenWindow[];
}

export function classifyMessages(run: RunRecord, context: ClassifyContext) {
  const errors = run.errors ? (JSON.parse(run.errors) as string[]) : [];
  const parts = [
    `Request: ${run.prompt}`,
    `Existing tools:\n${context.toolCatalog || '(none)'}`,
    context.currentAppTitle ? `Current app: ${context.currentAppTitle}` : 'Current app: (none)',
    context.openWindows?.length ? `Open windows:\n${describeOpenWindows(context.openWindows)}` : '',
    errors.length ? `Errors reported by the current app:\n${errors.join('\n')}` : '',
  ];
  return [
    { role: 'system' as const, content: SYSTEM },
    { role: 'user' as const, content: parts.filter(Boolean).join('\n\n') },
  ];
}

/**
 * Where a classified run goes next. Attached errors always mean diagnosis. A refine of an
 * open window's app is only taken for an app id that is really open on the desktop.
 */
export function routeClassification(
  run: RunRecord,
  c: Classification,
  openAppIds: readonly string[] = [],
): Next {
  const target =
    !run.appId &&
    !run.viaMono &&
    c.intent === 'update_app' &&
    c.appId &&
    openAppIds.includes(c.appId)
      ? c.appId
      : undefined;
  const appId = run.appId ?? target;
  const intent: Intent = run.viaMono
    ? // An app asked /api/mono for something no tool provides: data, not a UI.
      c.intent === 'virtual_response'
      ? 'virtual_response'
      : 'tool_only'
    : run.errors && run.appId
      ? 'diagnose_error'
      : c.intent === 'update_app' && !appId
        ? 'new_app'
        : c.intent === 'diagnose_error' && !run.appId
          ? 'new_app'
          : c.intent;
  const patch = {
    intent,
    ...(target ? { appId: target } : {}),
    title: c.title.slice(0, 80),
    tools: JSON.stringify(c.tools),
    ...(c.contentType ? { contentType: c.contentType } : {}),
  };
  switch (intent) {
    case 'new_app':
    case 'update_app':
      return { state: c.needsNewTools ? 'PLANNING_TOOLS' : 'GENERATING_APP', patch };
    case 'tool_only':
      return { state: 'PLANNING_TOOLS', patch };
    case 'virtual_response':
      return { state: 'GENERATING_CONTENT', patch };
    case 'diagnose_error':
      return { state: 'DIAGNOSING', patch };
  }
}

/** The CLASSIFYING step: one model call (stage `classify`). */
export async function classify(
  run: RunRecord,
  deps: {
    llm: LlmClient;
    runs: RunStore;
    /** The tool library: a request existing tools serve goes straight to generation. */
    tools: Pick<ToolStore, 'briefs'>;
    currentAppTitle?: string;
    openWindows?: OpenWindow[];
  },
): Promise<Next> {
  const windows = deps.openWindows ?? [];
  const value = await chatJsonForRun(deps.llm, deps.runs, run.id, {
    stage: 'classify',
    messages: classifyMessages(run, {
      toolCatalog: toolCatalog(await deps.tools.briefs(), run.prompt),
      ...(deps.currentAppTitle ? { currentAppTitle: deps.currentAppTitle } : {}),
      openWindows: windows,
    }),
    schema: ClassifyReply,
  });
  const next = routeClassification(
    run,
    value,
    windows.map((w) => w.appId),
  );
  await deps.runs.appendEvent({
    type: 'run.classified',
    runId: run.id,
    at: Date.now(),
    intent: next.patch?.intent ?? value.intent,
    title: value.title,
  });
  return next;
}
