import { Ajv, type ValidateFunction } from 'ajv';
import { BadRequestError } from './errors';

const ajv = new Ajv({ allErrors: true, strict: false });
const cache = new Map<string, ValidateFunction>();

/** Compiles (once) a JSON Schema; an invalid schema is a 400 naming the problem. */
export function compileSchema(schema: Record<string, unknown>, what: string): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = cache.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      throw new BadRequestError(`${what} is not a valid JSON Schema: ${(err as Error).message}`);
    }
    if (cache.size > 2000) cache.clear();
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
  if (validate(value)) return null;
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}
