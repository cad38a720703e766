import { readSection } from '@hyperdesk/shared';
import { requestText } from './prompt-reading';

/**
 * The app_ask fallback: with a `JSON Schema` section, a value shaped by the schema (the
 * first enum value, examples, a few array items); without, a short plain-text answer.
 */
export function askFallback(user: string): string {
  const request = requestText(user);
  const rawSchema = readSection(user, ['JSON Schema', 'Schema']);
  if (rawSchema) {
    try {
      return JSON.stringify(valueFor(JSON.parse(rawSchema) as Schema, request, 0), null, 2);
    } catch {
      // not JSON: answer in text
    }
  }
  const topic = request.split('\n')[0]?.slice(0, 120) ?? '';
  return `Simulated answer to "${topic}": this text stands in for the model's reply. It arrives in pieces, as a real model streams, so an app can show it while it is written.`;
}

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  examples?: unknown[];
  default?: unknown;
  minimum?: number;
  minItems?: number;
}

function valueFor(schema: Schema, request: string, depth: number): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.examples?.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type ?? (schema.properties ? 'object' : 'string')) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, sub]) => [
          key,
          depth > 4 ? null : valueFor(sub, `${key}`, depth + 1),
        ]),
      );
    case 'array':
      return Array.from({ length: Math.max(schema.minItems ?? 0, 3) }, (_, i) =>
        depth > 4 || !schema.items
          ? null
          : valueFor(schema.items, `${request} ${i + 1}`, depth + 1),
      );
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 0, 42);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return request.slice(0, 60) || 'text';
  }
}
