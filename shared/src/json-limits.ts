import { BadRequestError } from './errors';

/**
 * How deep JSON from outside may nest (objects and arrays). Deep enough for any real tool
 * args, schema or layout; shallow enough that nothing that walks a value recursively (the
 * schema validator, JSON.stringify, the runner's Python json module) can run out of stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * How deep a value checked against a schema may nest: a tool's output (the runner reads up
 * to ~500 levels) or a model's answer. The validator's recursion follows the schema, whose
 * depth is MAX_JSON_DEPTH at most, so this only has to keep the walk itself bounded.
 */
export const MAX_CHECKED_VALUE_DEPTH = 1000;

/**
 * True when `value` nests deeper than `max`. Walks with an explicit stack, never by
 * recursion, so a value built to overflow the stack cannot do it here.
 */
export function exceedsJsonDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Refuses a value nested deeper than `max` with a 400 (`TOO_DEEP`) that says so. */
export function assertJsonDepth(value: unknown, what: string, max = MAX_JSON_DEPTH): void {
  if (exceedsJsonDepth(value, max)) {
    throw new BadRequestError(
      `${what} nests more than ${max} levels of objects or arrays; flatten it.`,
      'TOO_DEEP',
    );
  }
}

/**
 * The nesting depth of JSON text, counted over its brackets without parsing it (strings are
 * skipped), so a body can be refused before a parser or anything after it recurses.
 */
export function jsonTextDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return deepest;
}
