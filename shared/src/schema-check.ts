import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { MAX_CHECKED_VALUE_DEPTH, exceedsJsonDepth } from './json-limits';
import { compileSchema } from './schema';

/** Longest a check of one value against a schema may take before it is given up. */
export const SCHEMA_CHECK_MS = 2000;

/**
 * The validator thread: the same ajv set-up as `compileSchema` (patterns on RE2), fed one
 * (schema, value) pair at a time. Written as CommonJS source so it runs the same from the
 * TypeScript sources and from a service's bundle; the packages are passed as resolved paths.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Ajv } = require(workerData.ajv);
const { RE2JS } = require(workerData.re2js);
function linearRegExp(pattern) {
  const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  return { test: (s) => compiled.test(s) };
}
linearRegExp.code = 're2js';
const fresh = () => new Ajv({ allErrors: true, strict: false, code: { regExp: linearRegExp } });
let ajv = fresh();
const cache = new Map();
parentPort.postMessage({ ready: true });
parentPort.on('message', ({ id, key, schema, value }) => {
  try {
    let validate = cache.get(key);
    if (!validate) {
      if (cache.size >= 500) { cache.clear(); ajv = fresh(); }
      validate = ajv.compile(schema);
      cache.set(key, validate);
    }
    const errors = validate(value)
      ? null
      : (validate.errors || [])
          .map((e) => (e.instancePath || '(root)') + ' ' + (e.message || 'is invalid'))
          .join('; ');
    parentPort.postMessage({ id, errors });
  } catch (err) {
    parentPort.postMessage({ id, errors: String((err && err.message) || err) });
  }
});
`;

interface Job {
  id: number;
  key: string;
  schema: Record<string, unknown>;
  value: unknown;
  what: string;
  resolve: (errors: string | null) => void;
}

/**
 * Checks values against schemas people wrote on a thread of its own, one at a time, each
 * within SCHEMA_CHECK_MS. Linear-time patterns are not enough on their own: `uniqueItems`
 * over a long array of objects, an `enum` of large objects or `anyOf` chained through `$ref`
 * can still take minutes. Such a check is stopped (the thread is ended and replaced) and
 * counts as a mismatch that says why, so the event loop never waits on a validator.
 */
class BoundedValidator {
  private worker: Worker | null = null;
  /** The thread has loaded its packages: a check's time starts only then. */
  private ready = false;
  private readonly queue: Job[] = [];
  private running: { job: Job; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;

  check(schema: Record<string, unknown>, value: unknown, what: string): Promise<string | null> {
    const key = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, key, schema, value, what, resolve });
      this.pump();
    });
  }

  private spawn(): Worker {
    const require = createRequire(import.meta.url);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ajv: require.resolve('ajv'), re2js: require.resolve('re2js') },
    });
    worker.on('message', (reply: { ready?: true; id?: number; errors?: string | null }) => {
      if (reply.ready && this.worker === worker) {
        this.ready = true;
        this.pump();
        return;
      }
      if (this.running?.job.id !== reply.id) return;
      this.finish(reply.errors ?? null);
    });
    worker.on('error', () => this.restart('the validator failed'));
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.ready = false;
      // A check still waiting on a thread that went away gets a new one.
      if (this.running) this.restart('the validator stopped');
      else this.pump();
    });
    return worker;
  }

  private pump(): void {
    if (this.running) return;
    if (this.queue.length === 0) {
      // An idle validator does not keep the process alive; one with checks to do does.
      this.worker?.unref();
      return;
    }
    if (!this.worker) {
      this.ready = false;
      this.worker = this.spawn();
    }
    this.worker.ref();
    if (!this.ready) return;
    const job = this.queue.shift() as Job;
    const timer = setTimeout(
      () =>
        this.restart(
          `checking it against ${job.what} took longer than ${SCHEMA_CHECK_MS / 1000} s; ` +
            'the schema is too costly for this value (uniqueItems on long arrays of objects, ' +
            'enums of large objects, anyOf chained through $ref): simplify it or send less',
        ),
      SCHEMA_CHECK_MS,
    );
    this.running = { job, timer };
    try {
      this.worker.postMessage({ id: job.id, key: job.key, schema: job.schema, value: job.value });
    } catch {
      this.finish('the value cannot be checked (it is not plain JSON)');
    }
  }

  private finish(errors: string | null): void {
    if (!this.running) return;
    clearTimeout(this.running.timer);
    const { job } = this.running;
    this.running = null;
    job.resolve(errors);
    this.pump();
  }

  /** Ends a thread stuck in a check; the check fails with `reason`, the next one gets a new thread. */
  private restart(reason: string): void {
    const worker = this.worker;
    this.worker = null;
    this.ready = false;
    void worker?.terminate();
    this.finish(reason);
  }
}

let validator: BoundedValidator | null = null;

/**
 * Null when `value` matches `schema`, else a readable list of mismatches (or why it could not
 * be checked). For schemas people wrote: the check runs off the event loop, within a time
 * limit. An invalid schema is still a 400 from `compileSchema`, thrown before any check.
 */
export async function checkSchema(
  schema: Record<string, unknown>,
  value: unknown,
  what: string,
): Promise<string | null> {
  compileSchema(schema, what.charAt(0).toUpperCase() + what.slice(1));
  if (exceedsJsonDepth(value, MAX_CHECKED_VALUE_DEPTH)) {
    return `(root) nests more than ${MAX_CHECKED_VALUE_DEPTH} levels of objects or arrays`;
  }
  validator ??= new BoundedValidator();
  return validator.check(schema, value, what);
}
