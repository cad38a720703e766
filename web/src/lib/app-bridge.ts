import type { AppMessage, HostMessage } from '@hyperdesk/shared/sdk';
import { errorMessage } from './api';
import { askSpending } from './ask-spending.svelte';
import { AskError, raiseNotice, setContext, streamAsk } from './desktop-api';
import type { SharedContext } from './shared-context';

type AppRequest = Exclude<
  AppMessage,
  { type: 'tool' | 'error' | 'ready' | 'shortcut' | 'unfocus' | 'storage-write' }
>;

/**
 * The model, context and notice calls of one app frame. The desktop makes each call
 * itself, with its own session, for the app the frame shows; `close()` (the window is
 * closed or shows another document) aborts the asks still running, which aborts their
 * model calls, and drops the frame's context subscriptions.
 */
export class AppBridge {
  readonly #asks = new Map<number, AbortController>();
  readonly #unsubscribe = new Map<string, () => void>();
  #closed = false;

  constructor(
    private readonly appId: () => string | null,
    private readonly reply: (message: HostMessage) => void,
    private readonly context: SharedContext,
  ) {}

  handle(message: AppRequest): void {
    switch (message.type) {
      case 'ask':
        void this.#ask(message);
        return;
      case 'ask-cancel':
        this.#asks.get(message.id)?.abort();
        this.#asks.delete(message.id);
        return;
      case 'context-get':
        void this.context.whenLoaded().then(() => {
          const entry = this.context.get(message.key);
          this.reply({
            hyperdesk: 1,
            type: 'reply',
            id: message.id,
            ok: true,
            result: entry?.value,
          });
        });
        return;
      case 'context-set':
        void this.#set(message.id, message.key, message.value);
        return;
      case 'context-subscribe':
        void this.context.whenLoaded().then(() => this.#subscribe(message.key));
        return;
      case 'notify':
        raiseNotice(message.level, message.text.slice(0, 300), this.appId() ?? undefined).catch(
          (error: unknown) =>
            console.warn('[notices] an app notice was refused:', errorMessage(error)),
        );
        return;
    }
  }

  #subscribe(key: string): void {
    if (this.#closed || this.#unsubscribe.has(key)) return;
    this.#unsubscribe.set(
      key,
      this.context.subscribe(key, (entry) =>
        this.reply({
          hyperdesk: 1,
          type: 'context',
          key,
          present: entry !== null,
          value: entry?.value ?? null,
        }),
      ),
    );
  }

  close(): void {
    this.#closed = true;
    for (const controller of this.#asks.values()) controller.abort();
    this.#asks.clear();
    for (const stop of this.#unsubscribe.values()) stop();
    this.#unsubscribe.clear();
  }

  async #ask(message: Extract<AppMessage, { type: 'ask' }>): Promise<void> {
    const { id } = message;
    const appId = this.appId();
    const fail = (error: string, code: string, limit?: string, resetsAt?: string | null) =>
      this.reply({
        hyperdesk: 1,
        type: 'reply',
        id,
        ok: false,
        error,
        code,
        ...(limit ? { limit } : {}),
        ...(resetsAt !== undefined ? { resetsAt } : {}),
      });
    if (!appId) {
      fail('This window has no saved app yet, so it cannot ask the model.', 'NO_APP');
      return;
    }
    const controller = new AbortController();
    this.#asks.set(id, controller);
    let settled = false;
    try {
      await streamAsk(
        appId,
        {
          prompt: message.prompt,
          ...(message.schema ? { schema: message.schema } : {}),
          ...(message.system !== undefined ? { system: message.system } : {}),
        },
        controller.signal,
        (line) => {
          if (line.type === 'token')
            this.reply({ hyperdesk: 1, type: 'ask-token', id, text: line.text });
          else if (line.type === 'retry')
            this.reply({ hyperdesk: 1, type: 'ask-retry', id, problem: line.problem });
          else if (line.type === 'done') {
            settled = true;
            this.reply({
              hyperdesk: 1,
              type: 'reply',
              id,
              ok: true,
              result: { text: line.text, value: line.value },
            });
          } else {
            settled = true;
            if (line.code === 'ASK_CONSENT_NEEDED') askSpending.needConsent(appId);
            fail(line.error, line.code, line.limit, line.resetsAt);
          }
        },
      );
      if (!settled && !controller.signal.aborted) fail('The answer ended early.', 'INCOMPLETE');
    } catch (error) {
      if (!controller.signal.aborted) {
        fail(errorMessage(error), error instanceof AskError ? error.code : 'network');
      }
    } finally {
      this.#asks.delete(id);
      void askSpending.refresh(appId);
    }
  }

  async #set(id: number, key: string, value: unknown): Promise<void> {
    try {
      const entry = await setContext(key, value, this.appId() ?? undefined);
      this.context.apply(key, entry);
      this.reply({ hyperdesk: 1, type: 'reply', id, ok: true, result: entry.value });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.reply({
        hyperdesk: 1,
        type: 'reply',
        id,
        ok: false,
        error: errorMessage(error),
        code: typeof code === 'string' ? code : 'error',
      });
    }
  }
}
