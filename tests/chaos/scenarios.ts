import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Simulator scenarios for the fault tests, written to a temporary folder (LLM_SIM_SCENARIOS).
 * Each prompt tag paces one stage slowly enough that a signal lands in the middle of it.
 */

type Scenario = { name: string; stage: string; match: string; responses: object[] };

const classify = (match: string, reply: object, pace: object = {}): Scenario => ({
  name: `${match} classify`,
  stage: 'classify',
  match,
  responses: [{ content: JSON.stringify(reply), ...pace }],
});

const newApp = (title: string, needsNewTools = false) => ({
  intent: 'new_app',
  title,
  tools: [],
  needsNewTools,
});

/** A tool interface whose code the simulator writes from `code`. */
function echoTool(name: string) {
  return {
    name,
    description: 'Echoes a text back.',
    args: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    returns: { type: 'object', properties: { echo: { type: 'string' } }, required: ['echo'] },
    examples: [{ args: { text: 'hi' }, result: { echo: 'hi' } }],
  };
}

const HELLO_APP = fileURLToPath(new URL('../fixtures/scenarios/hello-app.html', import.meta.url));

const ECHO_CODE =
  '```python\nimport json, sys\nargs = json.load(sys.stdin)\nprint(json.dumps({"echo": args["text"]}))\n```';

/** A slowly written tool `name`, planned for prompts containing `match`. */
function slowToolBuild(match: string, name: string, call: boolean): Scenario[] {
  return [
    {
      name: `${match} plan`,
      stage: 'plan_tools',
      match,
      responses: [
        {
          content: JSON.stringify({
            use: [],
            create: [echoTool(name)],
            change: [],
            ...(call ? { call: { tool: name, args: { text: 'hello' } } } : {}),
          }),
        },
      ],
    },
    {
      name: `${match} write`,
      stage: 'tool_write',
      match: name,
      // About 40 tokens after 1.5 s: a 4-second window to land a signal in.
      responses: [{ content: ECHO_CODE, ttftMs: 1500, tokensPerS: 15 }],
    },
  ];
}

/** Slow app generation (the fallback app, paced): several seconds of streamed tokens. */
const slowApp = (match: string): Scenario => ({
  name: `${match} app`,
  stage: 'app_generate',
  match,
  responses: [{ ttftMs: 300, tokensPerS: 200 }],
});

export const SLOW = {
  app: 'chaos:slow-app',
  longStream: 'chaos:long-stream',
  tool: 'chaos:slow-tool',
  stopGateway: 'chaos:stop-gateway',
  stopPlanner: 'chaos:stop-planner',
  stopToolManager: 'chaos:stop-tool-manager',
  stopAppGenerator: 'chaos:stop-app-generator',
};

/**
 * Prompts of the load test: a small app (the hello-app fixture, checked in Chromium like any
 * other) and a CSV answer (the simulator's fallback content).
 */
export const LOAD = { app: 'chaos:load-app', content: 'chaos:load-csv' };

export const MODEL = {
  hang: 'chaos:model-hangs',
  rateLimitedForever: 'chaos:rate-limited',
  rateLimitedThenOk: 'chaos:rate-limit-passes',
  garbageClassify: 'chaos:garbage-classify',
  garbageApp: 'chaos:garbage-app',
};

export function writeChaosScenarios(): string {
  const scenarios: Scenario[] = [
    classify(SLOW.app, newApp('Slow app')),
    slowApp(SLOW.app),
    classify(SLOW.longStream, newApp('Long stream')),
    {
      name: 'long stream',
      stage: 'app_generate',
      match: SLOW.longStream,
      responses: [{ ttftMs: 300, tokensPerS: 120 }],
    },
    classify(SLOW.tool, { intent: 'tool_only', title: 'Echo', tools: [], needsNewTools: true }),
    ...slowToolBuild(SLOW.tool, 'chaos_echo_killed', true),
    // One run per service for SIGTERM: each stage is slow enough for the signal to land in it.
    classify(SLOW.stopGateway, newApp('Stop gateway'), { ttftMs: 2500 }),
    classify(SLOW.stopPlanner, newApp('Stop planner', true)),
    {
      name: 'stop planner plan',
      stage: 'plan_tools',
      match: SLOW.stopPlanner,
      responses: [
        {
          content: JSON.stringify({
            use: [],
            create: [echoTool('chaos_echo_planner')],
            change: [],
          }),
          ttftMs: 2500,
        },
      ],
    },
    {
      name: 'stop planner write',
      stage: 'tool_write',
      match: 'chaos_echo_planner',
      responses: [{ content: ECHO_CODE }],
    },
    classify(SLOW.stopToolManager, newApp('Stop tool manager', true)),
    ...slowToolBuild(SLOW.stopToolManager, 'chaos_echo_stopped', false),
    classify(SLOW.stopAppGenerator, newApp('Stop app generator')),
    slowApp(SLOW.stopAppGenerator),
    classify(LOAD.app, newApp('Load')),
    {
      name: 'load app',
      stage: 'app_generate',
      match: LOAD.app,
      responses: [{ contentFile: HELLO_APP }],
    },
    classify(LOAD.content, {
      intent: 'virtual_response',
      title: 'Planets',
      tools: [],
      needsNewTools: false,
      contentType: 'text/csv',
    }),
    // Model faults.
    { name: 'hang', stage: 'classify', match: MODEL.hang, responses: [{ fault: 'hang' }] },
    {
      name: 'rate limited for good',
      stage: 'classify',
      match: MODEL.rateLimitedForever,
      responses: [{ fault: 429, retryAfterMs: 200 }],
    },
    {
      name: 'rate limited, then answering',
      stage: 'classify',
      match: MODEL.rateLimitedThenOk,
      responses: [{ fault: 429, times: 5, retryAfterMs: 200 }],
    },
    {
      name: 'garbage classification',
      stage: 'classify',
      match: MODEL.garbageClassify,
      responses: [{ content: 'Sure! I would love to help with that. What colour should it be?' }],
    },
    classify(MODEL.garbageApp, newApp('Garbage')),
    {
      name: 'garbage app',
      stage: 'app_generate',
      match: MODEL.garbageApp,
      responses: [{ content: '```json\n{"oops": "this is not a web page"}\n```' }],
    },
  ];
  const dir = mkdtempSync(path.join(tmpdir(), 'hd-chaos-scenarios-'));
  writeFileSync(path.join(dir, 'chaos.json'), JSON.stringify(scenarios, null, 2));
  return dir;
}
