import {
  readSection,
  STAGE_HEADER,
  type ClassifyReply,
  type DiagnoseReply,
  type ToolPlan,
} from '@hyperdesk/shared';
import { fallbackApp } from './fallback-app';
import { askFallback } from './fallback-ask';
import { fallbackContent } from './fallback-content';
import { fallbackTool, SYSTEM_STATS_TOOL } from './fallback-tool';
import {
  contentTypeFor,
  documentTitle,
  listedTools,
  needsHostAccess,
  requestText,
  titleFrom,
  toolsMentioned,
} from './prompt-reading';
import type { Conversation } from './request';
import { sampleDocument, sampleFor } from './samples';

/**
 * Answers for requests no scenario matches, per stage: plausible enough to drive the whole
 * pipeline (classify → plan → tools → app) without a model.
 */

const CONTENT_WORDS =
  /\b(csv|json|markdown|poem|story|essay|article|haiku|summary|readme|svg|report|list of|table of)\b/i;
const APP_WORDS =
  /\b(app|application|tool|widget|dashboard|viewer|editor|tracker|game|calculator|board|ui)\b/i;
const ONE_SHOT =
  /^\s*(run|call|execute|check|what(?:'s| is| are)|how (?:much|many|long)|tell me|get)\b/i;
const ERROR_WORDS = /\b(error|exception|broken|crash(?:es|ed)?|doesn'?t work|not working|fix)\b/i;

function errorsOf(user: string): string | null {
  const errors = readSection(user, ['Errors', 'Runtime errors', 'Error']);
  return errors && !/^\(?none\)?$/i.test(errors) ? errors : null;
}

function currentAppOf(user: string): string | null {
  const app = readSection(user, ['Current app', 'App', 'App being refined']);
  return app && !/^\(?none\)?$/i.test(app) ? app : null;
}

const UPDATE_WORDS =
  /\b(add|change|make|remove|rename|update|edit|put|turn|insert|include|move|refine|improve|recolou?r)\b/i;
const WINDOW_LINE = /^-\s+(app_[A-Za-z0-9_-]+)\s+("(?:[^"\\]|\\.)*")/;
const GENERIC_WORDS = new Set(['app', 'window', 'the', 'my', 'and', 'for', 'with']);

/**
 * The open window a request names (one of its title words): `change` when the request
 * asks to change it ("add a button to my notes window"), `read` when it only takes data
 * from it ("chart the numbers from my CSV window", a new app that reads its context).
 */
function windowNamed(user: string, request: string): { appId: string; change: boolean } | null {
  const section = readSection(user, ['Open windows']);
  if (!section) return null;
  const text = request.toLowerCase();
  for (const line of section.split('\n')) {
    const match = WINDOW_LINE.exec(line.trim());
    if (!match?.[1] || !match[2]) continue;
    const title = (JSON.parse(match[2]) as string).toLowerCase();
    const words = title
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length >= 3 && !GENERIC_WORDS.has(w));
    const named = words.find((w) => new RegExp(`\\b${w}\\b`).test(text));
    if (!named) continue;
    const reading = new RegExp(`\\bfrom\\b[^.]*\\b${named}\\b`).test(text);
    return { appId: match[1], change: !reading && UPDATE_WORDS.test(request) };
  }
  return null;
}

export function classifyFallback(user: string): ClassifyReply {
  const request = requestText(user);
  const existing = listedTools(user);
  const tools = toolsMentioned(request, existing);
  const refining = currentAppOf(user) !== null;
  const errors = errorsOf(user);
  const host = needsHostAccess(request);

  let intent: ClassifyReply['intent'] = 'new_app';
  if (errors || (refining && ERROR_WORDS.test(request))) intent = 'diagnose_error';
  else if (CONTENT_WORDS.test(request) && !APP_WORDS.test(request)) intent = 'virtual_response';
  else if (ONE_SHOT.test(request) && !APP_WORDS.test(request)) intent = 'tool_only';
  else if (refining) intent = 'update_app';
  const named = refining || intent === 'diagnose_error' ? null : windowNamed(user, request);
  const target = named?.change ? named.appId : null;
  if (target) intent = 'update_app';
  else if (named) intent = 'new_app'; // it works with another window's data: an app

  // A request for one of the gallery's apps is a new app with the tools that app calls.
  const sample = intent === 'update_app' || intent === 'diagnose_error' ? null : sampleFor(request);
  if (sample) {
    const known = sample.tools.filter((name) => existing.includes(name));
    return {
      intent: 'new_app',
      title: sample.title,
      tools: known,
      needsNewTools: known.length < sample.tools.length,
    };
  }

  return {
    intent,
    ...(target ? { appId: target } : {}),
    title: titleFrom(request),
    tools,
    needsNewTools: (host || intent === 'tool_only') && tools.length === 0,
    ...(intent === 'virtual_response' ? { contentType: contentTypeFor(request) } : {}),
  };
}

export function planToolsFallback(user: string): ToolPlan {
  const request = requestText(user);
  const existing = listedTools(user);
  const use = toolsMentioned(request, existing);
  const hostNeeded = needsHostAccess(request) || sampleFor(request)?.tools.includes('system_stats');
  const create =
    use.length === 0 && hostNeeded && !existing.includes(SYSTEM_STATS_TOOL.name)
      ? [SYSTEM_STATS_TOOL]
      : [];
  const callable = use[0] ?? create[0]?.name;
  const oneShot = ONE_SHOT.test(request) && !APP_WORDS.test(request);
  return {
    use,
    create,
    change: [],
    ...(oneShot && callable ? { call: { tool: callable, args: {} } } : {}),
  };
}

export function diagnoseFallback(user: string): DiagnoseReply {
  const errors = errorsOf(user) ?? requestText(user);
  const tool = listedTools(user).find((name) => errors.includes(name));
  const firstError = errors.split('\n').find((line) => line.trim() !== '') ?? 'an unknown error';
  return tool
    ? {
        fault: 'tool',
        tool,
        explanation: `The tool ${tool} fails (${firstError.trim()}); the app only shows its error.`,
      }
    : {
        fault: 'app',
        explanation: `The app's own code fails: ${firstError.trim()}. Rewriting the app should fix it.`,
      };
}

function appFallback(user: string, repairing: boolean): string {
  const request = requestText(user);
  const current = readSection(user, ['Current document', 'Current app', 'Document']);
  // A new app the gallery has, when the tools it calls are granted.
  const sample = repairing || current ? null : sampleFor(request);
  const tools = listedTools(user);
  if (sample && sample.tools.every((name) => tools.includes(name))) return sampleDocument(sample);
  const title =
    readSection(user, ['Window title', 'Title']) ??
    (repairing && current ? documentTitle(current) : null) ??
    titleFrom(request);
  return fallbackApp(title, request, tools);
}

/** The stage's fallback answer text, exactly as a well-behaved model would write it. */
export function fallbackAnswer(conversation: Conversation): string {
  const { stage, user, system } = conversation;
  switch (stage) {
    case 'classify':
      return JSON.stringify(classifyFallback(user), null, 2);
    case 'plan_tools':
      return JSON.stringify(planToolsFallback(user), null, 2);
    case 'diagnose':
      return JSON.stringify(diagnoseFallback(user), null, 2);
    case 'tool_write':
    case 'tool_repair':
      return fallbackTool(user);
    case 'app_generate':
      return appFallback(user, false);
    case 'app_repair':
      return appFallback(user, true);
    case 'content':
      return fallbackContent(requestText(user), system);
    case 'app_ask':
      return askFallback(user);
    case null:
      return `This is the Hyperdesk model simulator. The request named no stage (header ${STAGE_HEADER}), so this is a plain answer to: ${requestText(user).slice(0, 200)}`;
  }
}
