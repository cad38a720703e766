/**
 * The files every suite puts into the tools' workspace, and the facts tool outputs are
 * checked against.
 */
const LOG_LINES = [
  '2026-05-01 09:00:01 INFO server started on port 8080',
  '2026-05-01 09:02:13 WARN slow response from /api/orders (2300 ms)',
  '2026-05-01 09:05:40 ERROR disk full while writing /var/cache/thumbs',
  '2026-05-01 09:06:02 INFO cache cleared',
  '2026-05-01 09:10:55 ERROR payment gateway timeout for order 1182',
  '2026-05-01 09:11:30 WARN retrying payment for order 1182',
  '2026-05-01 09:12:04 ERROR payment gateway timeout for order 1182',
  '2026-05-01 09:20:00 INFO nightly report queued',
  '2026-05-01 09:31:17 WARN memory at 85 %',
  '2026-05-01 09:45:09 ERROR report job crashed: division by zero',
];

export const WORKSPACE: Record<string, string> = {
  'readme.txt': 'Files for the Hyperdesk quality evals.\n',
  'notes/todo.txt': 'buy milk\ncall the plumber\nwrite the quarterly report\n',
  'notes/ideas.md': '# Ideas\n\n- a tiny habit tracker\n- a recipe scaler\n',
  'data/sales.csv': 'region,amount\nnorth,1200\nsouth,950.5\neast,780\nwest,1069.5\n',
  'data/people.json': JSON.stringify(
    [
      { name: 'Ada', age: 36, city: 'London' },
      { name: 'Grace', age: 45, city: 'Arlington' },
      { name: 'Linus', age: 28, city: 'Helsinki' },
    ],
    null,
    2,
  ),
  'logs/app.log': LOG_LINES.join('\n') + '\n',
};

/** Facts about the files above, for the checks. */
export const FACTS = {
  todoLines: 3,
  salesTotal: 4000,
  errorLines: LOG_LINES.filter((l) => l.includes(' ERROR ')).length,
};
