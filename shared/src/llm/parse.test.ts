import { describe, expect, it } from 'vitest';
import {
  closeDocument,
  extractCode,
  extractHtml,
  extractJson,
  findFences,
  repairJson,
  splitReasoning,
  stripThink,
} from './parse';

const classify = { intent: 'new_app', title: 'Notes', tools: [], needsNewTools: false };

/** Messy answers real models give for a JSON stage, each with the value it must yield. */
const jsonCorpus: Array<{ name: string; text: string; value: unknown }> = [
  { name: 'clean object', text: JSON.stringify(classify), value: classify },
  {
    name: 'pretty-printed with surrounding whitespace',
    text: `\n\n${JSON.stringify(classify, null, 2)}\n\n`,
    value: classify,
  },
  {
    name: 'json fence with prose around',
    text: `Sure! Here is the classification:\n\n\`\`\`json\n${JSON.stringify(classify, null, 2)}\n\`\`\`\n\nLet me know if you need anything else.`,
    value: classify,
  },
  {
    name: 'untagged fence',
    text: `\`\`\`\n${JSON.stringify(classify)}\n\`\`\``,
    value: classify,
  },
  {
    name: 'JSON (upper case) fence tag',
    text: `\`\`\`JSON\n${JSON.stringify(classify)}\n\`\`\``,
    value: classify,
  },
  {
    name: 'prose before and after without fence',
    text: `Based on the request, the answer is: ${JSON.stringify(classify)} — hope that helps!`,
    value: classify,
  },
  {
    name: 'think block with braces inside',
    text: `<think>The user wants {a notes app}. Tools: [none]. I'll answer with JSON.</think>\n${JSON.stringify(classify)}`,
    value: classify,
  },
  {
    name: 'orphan closing think tag (template ate the opening)',
    text: `Okay, so the user wants notes. {maybe}\n</think>\n\n${JSON.stringify(classify)}`,
    value: classify,
  },
  {
    name: 'trailing commas',
    text: '{\n  "intent": "new_app",\n  "title": "Notes",\n  "tools": ["a", "b",],\n  "needsNewTools": false,\n}',
    value: { intent: 'new_app', title: 'Notes', tools: ['a', 'b'], needsNewTools: false },
  },
  {
    name: 'comments inside the object',
    text: '{\n  // the kind of request\n  "intent": "tool_only", /* one tool */\n  "title": "CPU"\n}',
    value: { intent: 'tool_only', title: 'CPU' },
  },
  {
    name: 'typographic quotes as delimiters',
    text: '{\u201Cintent\u201D: \u201Cnew_app\u201D, \u201Ctitle\u201D: \u201CNotes\u201D}',
    value: { intent: 'new_app', title: 'Notes' },
  },
  {
    name: 'typographic quotes inside a string are kept',
    text: '{"title": "The \u201Cbest\u201D notes", "tools": [],}',
    value: { title: 'The \u201Cbest\u201D notes', tools: [] },
  },
  {
    name: 'braces inside strings',
    text: 'Answer: {"explanation": "the app calls render() { ... } before data [1] loads", "fault": "app"} ok',
    value: { explanation: 'the app calls render() { ... } before data [1] loads', fault: 'app' },
  },
  {
    name: 'escaped quotes inside strings',
    text: '{"explanation": "it prints \\"oops\\" and exits", "fault": "tool", "tool": "cpu_temp"}',
    value: { explanation: 'it prints "oops" and exits', fault: 'tool', tool: 'cpu_temp' },
  },
  {
    name: 'top-level array',
    text: 'Here are the tools:\n["cpu_temp", "disk_usage"]',
    value: ['cpu_temp', 'disk_usage'],
  },
  {
    name: 'a non-JSON brace pair before the real object',
    text: `I will output {intent, title} as asked:\n${JSON.stringify(classify)}`,
    value: classify,
  },
  {
    name: 'two fences, the json one wins',
    text: `Example call:\n\`\`\`python\nprint({"x": 1})\n\`\`\`\nPlan:\n\`\`\`json\n{"use": [], "create": [], "change": []}\n\`\`\``,
    value: { use: [], create: [], change: [] },
  },
  {
    name: 'double-encoded JSON string',
    text: JSON.stringify(JSON.stringify(classify)),
    value: classify,
  },
  {
    name: 'byte order mark and CRLF line endings',
    text: `\uFEFF{\r\n  "fault": "app",\r\n  "explanation": "x"\r\n}\r\n`,
    value: { fault: 'app', explanation: 'x' },
  },
  {
    name: 'think block then fenced JSON with tilde fence',
    text: `<think>\nfirst I check the tools\n</think>\n~~~json\n{"use": ["cpu_temp"], "create": [], "change": []}\n~~~`,
    value: { use: ['cpu_temp'], create: [], change: [] },
  },
  {
    name: 'nested plan with JSON Schema inside',
    text: `\`\`\`json\n{"use": [], "create": [{"name": "cpu_temp", "description": "CPU temperature", "args": {"type": "object", "properties": {}}, "returns": {"type": "object", "properties": {"celsius": {"type": "number"}}}, "examples": [{"args": {}}]}], "change": []}\n\`\`\``,
    value: {
      use: [],
      create: [
        {
          name: 'cpu_temp',
          description: 'CPU temperature',
          args: { type: 'object', properties: {} },
          returns: { type: 'object', properties: { celsius: { type: 'number' } } },
          examples: [{ args: {} }],
        },
      ],
      change: [],
    },
  },
];

describe('extractJson on messy answers', () => {
  it.each(jsonCorpus)('$name', ({ text, value }) => {
    const result = extractJson(text);
    expect(result).toEqual({ ok: true, value });
  });
});

describe('extractJson failures say what was wrong', () => {
  it('reports an object that is never closed', () => {
    const result = extractJson(
      'Sure! Here is the JSON:\n{"intent": "new_app", "title": "Notes"\n\nLet me know!',
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/never closed/);
  });

  it('reports a truncated answer', () => {
    const result = extractJson('```json\n{"use": [], "create": [{"name": "cpu_te');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/never closed|invalid/i);
  });

  it('reports invalid JSON with the parser message', () => {
    const result = extractJson('```json\n{"intent": new_app}\n```');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/invalid/i);
  });

  it('reports an answer without JSON', () => {
    expect(extractJson('I cannot help with that.')).toEqual({
      ok: false,
      error: 'No JSON object or array was found in the answer.',
    });
  });

  it('reports an answer that is only reasoning', () => {
    const result = extractJson('<think>I should answer with {"intent": ...');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/empty/);
  });
});

describe('stripThink', () => {
  it('removes closed blocks anywhere', () => {
    expect(stripThink('<think>a</think>x<thinking>b</thinking>y')).toBe('xy');
  });
  it('drops an unclosed leading block entirely', () => {
    expect(stripThink('  <think>still reasoning when cut off')).toBe('');
  });
  it('drops reasoning before an orphan closing tag', () => {
    expect(stripThink('reasoning here\n</think>\nanswer')).toBe('answer');
  });
  it('leaves plain text alone', () => {
    expect(stripThink('just the answer')).toBe('just the answer');
  });
});

describe('repairJson', () => {
  it('keeps commas and slashes inside strings', () => {
    const text = '{"url": "http://x/y", "list": "a, b,]"}';
    expect(repairJson(text)).toBe(text);
  });
});

describe('findFences', () => {
  it('returns an unclosed last fence as not closed', () => {
    expect(findFences('a\n```python\nprint(1)\n')).toEqual([
      { lang: 'python', body: 'print(1)\n', closed: false },
    ]);
  });
});

const tool = 'import json, sys\n\nargs = json.load(sys.stdin)\nprint(json.dumps({"ok": True}))';

describe('extractCode', () => {
  it('takes the python fence over a usage example fence', () => {
    const text = `Here is the tool:\n\`\`\`python\n${tool}\n\`\`\`\nRun it with:\n\`\`\`bash\necho '{}' | python3 tool.py\n\`\`\``;
    expect(extractCode(text)).toEqual({ code: tool, fenced: true, truncated: false });
  });
  it('accepts a py tag and a think block', () => {
    const text = `<think>stdin, then json</think>\n\`\`\`py\n${tool}\n\`\`\``;
    expect(extractCode(text).code).toBe(tool);
  });
  it('accepts an untagged fence', () => {
    expect(extractCode(`\`\`\`\n${tool}\n\`\`\``).code).toBe(tool);
  });
  it('accepts raw code and drops leading prose', () => {
    expect(extractCode(`Here is the complete file:\n\n${tool}\n`)).toEqual({
      code: tool,
      fenced: false,
      truncated: false,
    });
  });
  it('flags a fence that was cut off', () => {
    const result = extractCode('```python\nimport json\nprint(json.du');
    expect(result).toEqual({ code: 'import json\nprint(json.du', fenced: true, truncated: true });
  });
});

const doc =
  '<!DOCTYPE html>\n<html lang="en">\n<head><title>Notes</title></head>\n<body><script>const s = "</html>";</script></body>\n</html>';

describe('extractHtml', () => {
  it('returns a raw document as is', () => {
    expect(extractHtml(doc)).toEqual({ html: doc, truncated: false });
  });
  it('takes the document out of an html fence with prose around', () => {
    const text = `Here is your app:\n\n\`\`\`html\n${doc}\n\`\`\`\n\nIt stores notes in memory.`;
    expect(extractHtml(text)).toEqual({ html: doc, truncated: false });
  });
  it('drops prose around a raw document', () => {
    expect(extractHtml(`Sure!\n${doc}\nEnjoy.`)).toEqual({ html: doc, truncated: false });
  });
  it('starts at <html when there is no doctype', () => {
    const text = 'x <html><body>hi</body></html> y';
    expect(extractHtml(text)).toEqual({ html: '<html><body>hi</body></html>', truncated: false });
  });
  it('flags a document that was cut off', () => {
    const text = '<think>plan</think>```html\n<!DOCTYPE html>\n<html><body><div>unfinis';
    expect(extractHtml(text)).toEqual({
      html: '<!DOCTYPE html>\n<html><body><div>unfinis',
      truncated: true,
    });
  });
  it('ends a document without </html> at the fence around it, not at the prose after', () => {
    const text = '```html\n<!DOCTYPE html>\n<html><body><p>hi</p></body>\n```\nIt greets you.';
    expect(extractHtml(text)).toEqual({
      html: '<!DOCTYPE html>\n<html><body><p>hi</p></body>',
      truncated: true,
    });
  });
  it('unwraps a document sent as a JSON string field', () => {
    expect(extractHtml(JSON.stringify({ html: doc }))).toEqual({ html: doc, truncated: false });
  });
  it('returns a fragment when there is no document', () => {
    expect(extractHtml('<div>hello</div>')).toEqual({ html: '<div>hello</div>', truncated: false });
  });
});

describe('extractJson never returns a fragment of a broken answer', () => {
  it('does not return an inner array of an invalid object', () => {
    const result = extractJson('{"intent": new_app, "tools": ["cpu_temp"]}');
    expect(result.ok).toBe(false);
  });
  it('looks past a stray bracket in prose', () => {
    const text = 'Notes [see below: the plan is\n{"use": ["a"], "create": [], "change": []}';
    expect(extractJson(text)).toEqual({ ok: true, value: { use: ['a'], create: [], change: [] } });
  });
});

describe('reasoning markup of every shape', () => {
  const answer = '{"a": 1}';
  it.each([
    ['closed think', `<think>x {y}</think>${answer}`],
    ['thinking and reasoning tags', `<thinking>a</thinking><reasoning>b</reasoning>${answer}`],
    ['an orphan closing tag', `reasoning {x}\n</think>\n${answer}`],
    [
      'gpt-oss channels',
      `<|channel|>analysis<|message|>think {x}<|end|><|start|>assistant<|channel|>final<|message|>${answer}<|return|>`,
    ],
    [
      'gpt-oss with a constrained final channel',
      `<|start|>assistant<|channel|>analysis<|message|>hm<|end|><|start|>assistant<|channel|>final <|constrain|>json<|message|>${answer}`,
    ],
    ['channel names without their special tokens', `analysisthink {x}assistantfinal${answer}`],
    ['a stray end token', `${answer}<|end|>`],
    ['a ChatML end of turn', `<|im_start|>assistant\n${answer}<|im_end|>\n<|im_start|>user`],
    ['a Llama end of turn', `${answer}<|eot_id|>`],
    ['a Gemma end of turn', `${answer}\n<end_of_turn>`],
    ['a trailing end of sequence', `${answer}</s>`],
  ])('%s', (_name, text) => {
    expect(splitReasoning(text)).toEqual({ answer, unclosed: '' });
  });

  it('keeps reasoning that is never closed apart from the (empty) answer', () => {
    expect(splitReasoning('<think>\nstill thinking {x}')).toEqual({
      answer: '',
      unclosed: '\nstill thinking {x}',
    });
    expect(splitReasoning('<|channel|>analysis<|message|>only analysis').answer).toBe('');
  });
});

describe('extractHtml prefers the real document', () => {
  const doc = '<!DOCTYPE html><html><body>real</body></html>';
  it('over a doctype mentioned in prose', () => {
    expect(extractHtml(`I start with <!DOCTYPE html> and a body.\n${doc}`)).toEqual({
      html: doc,
      truncated: false,
    });
  });
  it('takes the last of two complete documents', () => {
    const first = '<!DOCTYPE html><html><body>first</body></html>';
    expect(extractHtml(`${first}\nBetter:\n${doc}`).html).toBe(doc);
  });
  it('takes a complete document from reasoning that was never closed', () => {
    expect(extractHtml(`<think>Here:\n${doc}`)).toEqual({ html: doc, truncated: false });
  });
  it('does not start a document at a doctype inside a script string', () => {
    const inner = `<!DOCTYPE html><html><body><script>const t = '<!DOCTYPE html>';</script></body></html>`;
    expect(extractHtml(inner).html).toBe(inner);
  });
});

describe('closeDocument', () => {
  it('closes a document that stopped after a whole tag', () => {
    expect(closeDocument('<html><body><p>x</p>\n')).toBe('<html><body><p>x</p>\n</body>\n</html>');
    expect(closeDocument('<html><body><p>x</p></body>')).toBe(
      '<html><body><p>x</p></body>\n</html>',
    );
  });
  it('refuses a document cut mid-tag, inside a script, style or comment', () => {
    expect(closeDocument('<html><body><p')).toBeNull();
    expect(closeDocument('<html><body><script>let a = 1;</p>')).toBeNull();
    expect(closeDocument('<html><head><style>p{}</b><body>')).toBeNull();
    expect(closeDocument('<html><body><!-- <p>')).toBeNull();
    expect(closeDocument('<html><head></head>')).toBeNull();
  });
});

describe('extractCode drops prose around raw code', () => {
  const code = 'import json\n\nprint(json.dumps({"ok": True}))';
  it.each([
    ['a sentence after', `${code}\n\nThis prints ok as JSON.`],
    ['headings around', `## tool.py\n${code}\n\n### Usage\nRun it with python3.`],
    ['a list after', `${code}\n\n- reads nothing\n- prints ok`],
    ['CRLF', code.replace(/\n/g, '\r\n')],
  ])('%s', (_name, text) => {
    expect(extractCode(text).code).toBe(code);
  });
  it('keeps indented and Python lines that look like words', () => {
    const tail = `${code}\nif True:\n    Result = "A long sentence here."`;
    expect(extractCode(tail).code).toBe(tail);
  });
});
