import {
  isTerminal,
  type LlmCallMetrics,
  type RunEvent,
  type RunState,
} from '@hyperdesk/shared/contracts';

/** States in which the model is writing something a person can watch. */
const STREAMING_STATES: readonly RunState[] = [
  'GENERATING_APP',
  'REPAIRING_APP',
  'GENERATING_CONTENT',
];

/**
 * One run as its window shows it; fed by run events in seq order.
 *
 * A window follows one run at a time. When a person refines, repairs or edits the app, the
 * window follows the new run, which starts from the app the window was showing
 * (`RunModel.after`); an app opened from the library has no run yet (`RunModel.forApp`).
 */
export class RunModel {
  /** The run followed; '' for an app opened from the library before any run. */
  readonly runId: string;
  readonly prompt: string;
  state = $state<RunState>('RECEIVED');
  title = $state('');
  intent = $state<string | null>(null);
  error = $state<string | null>(null);
  /** A problem outside the run itself (e.g. the finished app could not be loaded). */
  notice = $state<string | null>(null);
  /** The latest tool build step, e.g. "word_count: testing". */
  toolStatus = $state<string | null>(null);
  tokens = $state(0);
  tokensPerS = $state<number | null>(null);
  /** The app's HTML as streamed so far in the current generation. */
  appStream = $state('');
  /** The model is reasoning before it writes (its first token has not come yet). */
  thinking = $state(false);
  /** True from the first app token of a generation until its `run.app` arrives. */
  appStreaming = $state(false);
  /** Raw content of a virtual response (`target: 'content'`) or a tool's result. */
  content = $state('');
  /** The stored content (virtual responses and tool results), once the run is done. */
  contentId = $state<string | null>(null);
  contentType = $state<string | null>(null);
  appId = $state<string | null>(null);
  appVersion = $state<number | null>(null);
  /** The complete app document, once fetched. */
  appHtml = $state<string | null>(null);
  appHtmlVersion = $state(0);
  /** Tools the shown app version was granted. */
  appTools = $state<string[]>([]);
  /** Runtime errors the shown app reported. */
  appErrors = $state<string[]>([]);
  /** Model calls of this run, as `run.llm` events reported them. */
  llmCalls = $state<LlmCallMetrics[]>([]);
  /** Highest app version asked of the API so far (bookkeeping; nothing renders it). */
  requestedAppVersion = -1;
  /** This run stored a version of the app (a `run.app` event arrived). */
  producedApp = false;

  readonly terminal = $derived(isTerminal(this.state));
  readonly streaming = $derived(STREAMING_STATES.includes(this.state));
  /**
   * The document the frame runs, or null while it shows the stream: during a generation,
   * while a written app waits for the tools it calls to be built (run now, its first calls
   * would fail), and until the version that was streamed has been fetched.
   */
  readonly frameHtml = $derived(
    this.appStreaming ||
      (this.appStream !== '' && this.state === 'BUILDING_TOOLS') ||
      (this.appStream !== '' && (this.appVersion ?? 0) > this.appHtmlVersion)
      ? null
      : this.appHtml,
  );
  readonly hasApp = $derived(this.appHtml !== null || this.appStream !== '');

  constructor(runId: string, prompt: string) {
    this.runId = runId;
    this.prompt = prompt;
  }

  /** A window's app with no run to follow (opened from the library or restored). */
  static forApp(appId: string, title: string, runId = ''): RunModel {
    const run = new RunModel(runId, title);
    run.state = 'DONE';
    run.title = title;
    run.appId = appId;
    return run;
  }

  /** A new run of the app `previous` shows (refine, fix, hand edit): the app stays in view. */
  static after(previous: RunModel, runId: string, prompt: string): RunModel {
    const run = new RunModel(runId, prompt);
    run.title = previous.title;
    run.appId = previous.appId;
    run.appVersion = previous.appHtmlVersion || previous.appVersion;
    run.appHtml = previous.appHtml;
    run.appHtmlVersion = previous.appHtmlVersion;
    run.appTools = previous.appTools;
    run.requestedAppVersion = previous.appHtmlVersion;
    return run;
  }

  apply(event: RunEvent): void {
    switch (event.type) {
      case 'run.state':
        this.#enter(event.state, event.error);
        break;
      case 'run.classified':
        this.intent = event.intent;
        if (event.title) this.title = event.title;
        break;
      case 'run.thinking':
        // A late hint after the first token changes nothing: the text is on its way.
        if ((event.target === 'app' ? this.appStream : this.content) === '') this.thinking = true;
        break;
      case 'run.token':
        this.thinking = false;
        this.#token(event.target, event.text, event.tokens, event.tokensPerS, event.reset);
        break;
      case 'run.app':
        this.appId = event.appId;
        this.appVersion = event.version;
        if (event.title) this.title = event.title;
        this.appStreaming = false;
        break;
      case 'tool.build':
        this.toolStatus = `${event.name}: ${event.status}`;
        break;
      case 'tool.repair':
        this.toolStatus = `${event.name}: repairing (attempt ${event.attempt})`;
        break;
      case 'run.llm':
        this.llmCalls = [...this.llmCalls, event.call];
        break;
      case 'run.thumbnail':
        break; // for the app library (RunFeed), not the window
    }
  }

  /** Stores a fetched app document unless a newer version is already shown. */
  setAppHtml(html: string, version: number, tools: string[] = []): void {
    if (version < this.appHtmlVersion) return;
    if (version === this.appHtmlVersion && html === this.appHtml) return;
    this.appHtml = html;
    this.appHtmlVersion = version;
    this.appTools = tools;
    this.appErrors = [];
  }

  /** An error the running app reported (uncaught, rejected promise, failed tool call). */
  reportAppError(message: string): void {
    if (this.appErrors.length < 50) this.appErrors = [...this.appErrors, message];
  }

  #enter(state: RunState, error: string | undefined): void {
    this.thinking = false;
    if (state === 'GENERATING_APP' || state === 'REPAIRING_APP') {
      // A new model call writes the document from the start.
      this.appStream = '';
      this.tokens = 0;
      this.tokensPerS = null;
    }
    this.state = state;
    if (error) this.error = error;
    else if (state === 'FAILED' && !this.error) this.error = 'The run failed without a reason.';
  }

  #token(
    target: 'app' | 'content',
    text: string,
    tokens: number,
    tokensPerS: number | null,
    reset = false,
  ): void {
    if (target === 'app') {
      if (reset) this.appStream = '';
      this.appStream += text;
      this.appStreaming = true;
    } else {
      if (reset) this.content = '';
      this.content += text;
    }
    this.tokens = tokens;
    this.tokensPerS = tokensPerS;
  }
}
