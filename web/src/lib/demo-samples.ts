/**
 * Requests the simulated model answers with one of its hand-written sample apps (the
 * gallery in services/llm-sim/src/samples.ts). The empty desktop offers them in demo mode,
 * where anything else gets the simulator's generic list app.
 */
export const DEMO_SAMPLE_PROMPTS: readonly string[] = [
  'a pomodoro timer',
  'markdown notes with a live preview',
  'a calculator',
  'a kanban board with drag and drop',
  'an expense tracker with a chart',
  'a unit converter',
  'a snake game',
  'a system monitor with a live chart',
];
