import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { RE2JS } from 're2js';
import { BadRequestError } from './errors';
import { MAX_CHECKED_VALUE_DEPTH, assertJsonDepth, exceedsJsonDepth } from './json-limits';

/**
 * `pattern` and `patternProperties` in schemas people write run on RE2 (linear time), never on
 * the backtracking RegExp: `^(a+)+$` against a long argument cannot stall the event loop.
 * RE2 has no lookaround or backreferences; a schema that uses them is refused as invalid.
 */
function linearRegExp(pattern: string): { test: (s: string) => boolean } {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (err) {
    throw new Error(
      `pattern ${JSON.stringify(pattern.slice(0, 80))} is not supported (${(err as Error).message}); ` +
        'lookaround and backreferences are not available',
    );
  }
  return { test: (s: string) => compiled.test(s) };
}
linearRegExp.code = 're2js';

/** Most compiled schemas kept; past it the compiler (and its own cache) starts afresh. */
const MAX_CACHED = 2000;
const newAjv = () => new Ajv({ allErrors: true, strict: false, code: { regExp: linearRegExp } });
let ajv = newAjv();
const cache = new Map<string, ValidateFunction>();

/** Compiles (once) a JSON Schema; an invalid or too deeply nested schema is a 400 naming the problem. */
export function compileSchema(schema: Record<string, unknown>, what: string): ValidateFunction {
  assertJsonDepth(schema, what);
  const key = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
  let validate = cache.get(key);
  if (!validate) {
    if (cache.size >= MAX_CACHED) {
      cache.clear();
      ajv = newAjv();
    }
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      throw new BadRequestError(`${what} is not a valid JSON Schema: ${(err as Error).message}`);
    }
    cache.set(key, validate);
  }
  return validate;
}

/** Null when `value` matches, else a readable list of mismatches. */
export function schemaErrors(
  schema: Record<string, unknown>,
  value: unknown,
  what: string,
): string | null {
  const validate = compileSchema(schema, what);
  // A value too deep to walk safely is a mismatch like any other (never a crash).
  if (exceedsJsonDepth(value, MAX_CHECKED_VALUE_DEPTH)) {
    return `(root) nests more than ${MAX_CHECKED_VALUE_DEPTH} levels of objects or arrays`;
  }
  if (validate(value)) return null;
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}
