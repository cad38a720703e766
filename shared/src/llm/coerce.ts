/**
 * Cheap repairs of a parsed answer, guided by the JSON Schema it must match, so that a readable
 * answer costs no re-ask: keys in another case or style (`NeedsNewTools`, `needs_new_tools`),
 * enum values in another case (`New_App`), numbers and booleans written as strings (`"3"`,
 * `"false"`). Also says where unknown keys stand in for missing fields that have defaults,
 * since a default would hide that miss.
 */

type Schema = Record<string, unknown>;

export interface Coerced {
  value: unknown;
  /** `path: problem` lines for unknown keys next to missing defaulted fields. */
  issues: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A key or enum as compared: case, spaces, `_` and `-` ignored. */
export const canonical = (key: string): string => key.toLowerCase().replace(/[\s_-]/g, '');

function types(schema: Schema): string[] {
  const t = schema.type;
  return Array.isArray(t)
    ? t.filter((x): x is string => typeof x === 'string')
    : typeof t === 'string'
      ? [t]
      : [];
}

/** The one branch of an `anyOf` / `oneOf` that is not `null` (a nullable field), if any. */
function nonNullBranch(schema: Schema): Schema | null {
  const branches = (schema.anyOf ?? schema.oneOf) as unknown;
  if (!Array.isArray(branches)) return null;
  const real = branches.filter(
    (b): b is Schema => isObject(b) && !types(b).every((t) => t === 'null'),
  );
  return real.length === 1 ? (real[0] ?? null) : null;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function coerceScalar(value: unknown, schema: Schema): unknown {
  const allowed = types(schema);
  if (typeof value === 'string') {
    const text = value.trim();
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
      const match = schema.enum.find(
        (e) => typeof e === 'string' && canonical(e) === canonical(text),
      );
      if (match !== undefined) return match;
    }
    if (allowed.includes('string')) return value;
    if (
      (allowed.includes('number') || allowed.includes('integer')) &&
      /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)
    ) {
      const n = Number(text);
      if (!allowed.includes('integer') || allowed.includes('number') || Number.isInteger(n))
        return n;
    }
    if (allowed.includes('boolean') && /^(true|false|yes|no)$/i.test(text))
      return /^(true|yes)$/i.test(text);
    if (allowed.includes('null') && /^(null|none)$/i.test(text)) return null;
  }
  return value;
}

const MAX_DEPTH = 64;

function walk(given: unknown, schema: unknown, path: string, issues: string[]): unknown {
  let value = given;
  // Schemas are shallow; a value nested deeper than any of them is left as it is.
  if (!isObject(schema) || path.split('.').length > MAX_DEPTH) return value;
  const branch = nonNullBranch(schema);
  if (branch && value !== null) return walk(value, branch, path, issues);
  const allowed = types(schema);
  // A list of one written as the one item: `"create": {…}` for `"create": [{…}]`.
  if (isObject(value) && allowed.includes('array') && !allowed.includes('object')) {
    const items = schema.items;
    if (isObject(items) && types(items).includes('object')) value = [value];
  }
  // An object or list written as a JSON string: `"args": "{\"text\": \"a\"}"`.
  if (typeof value === 'string' && /^\s*[{[]/.test(value) && !allowed.includes('string')) {
    if (allowed.includes('object') || allowed.includes('array')) {
      try {
        value = JSON.parse(value);
      } catch {
        // not JSON: left for the schema check to report
      }
    }
  }
  if (Array.isArray(value)) {
    const items = schema.items;
    return isObject(items)
      ? value.map((v, i) => walk(v, items, `${path}${path ? '.' : ''}${i}`, issues))
      : value;
  }
  if (isObject(value)) return walkObject(value, schema, path, issues);
  return coerceScalar(value, schema);
}

function walkObject(
  value: Record<string, unknown>,
  schema: Schema,
  path: string,
  issues: string[],
): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : null;
  const out: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    let name = key;
    if (properties && !(key in properties)) {
      const match = Object.keys(properties).find((p) => canonical(p) === canonical(key));
      if (match !== undefined && !(match in value)) name = match;
      else unknown.push(key);
    }
    const sub = properties?.[name] ?? schema.additionalProperties;
    // `null` for a field that has a default and cannot be null: the field left out.
    if (v === null && isObject(sub) && 'default' in sub && !types(sub).includes('null')) continue;
    // Defined as an own property: a key like __proto__ stays data, never a prototype.
    Object.defineProperty(out, name, {
      value: walk(v, sub, `${path}${path ? '.' : ''}${name}`, issues),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (properties && unknown.length > 0) {
    const missing = Object.entries(properties).filter(
      (entry): entry is [string, Schema] =>
        isObject(entry[1]) && 'default' in entry[1] && !(entry[0] in out),
    );
    for (const key of unknown) {
      // Only a key that could be a missing field (same kind of value) hides a miss; an extra
      // `reasoning` string next to a missing list does not.
      const kind = jsonType(value[key]);
      const could = missing.filter(
        ([, s]) => types(s).includes(kind) || (kind === 'integer' && types(s).includes('number')),
      );
      if (could.length === 0) continue;
      issues.push(
        `- ${path ? `${path}.` : ''}${key}: unknown field; did you mean ${could.map(([p]) => `"${p}"`).join(' or ')}? The fields are ${Object.keys(properties).join(', ')}.`,
      );
    }
  }
  return out;
}

/** Repairs `value` towards `schema` (a JSON Schema) without a model call; see the module note. */
export function coerceToSchema(value: unknown, schema: unknown): Coerced {
  const issues: string[] = [];
  return { value: walk(value, schema, '', issues), issues };
}
