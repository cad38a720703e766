/**
 * Demo mode (the simulator as the model) knows only its gallery of sample apps; every other
 * request gets its generic list app, which carries this marker. The app-generator tells a
 * person once, in a notice, what that means and how to connect a real model.
 */

/** The simulator puts this element in the `<head>` of its generic app. */
export const GENERIC_SIM_APP_MARKER = '<meta name="generator" content="hyperdesk-sim generic app">';

export function isGenericSimApp(html: string): boolean {
  return html.includes(GENERIC_SIM_APP_MARKER);
}

/** The once-per-person flag the notice sets. */
export const DEMO_MODEL_NOTICE_FLAG = 'demo-model';

export const DEMO_MODEL_NOTICE =
  'The simulated model knows only its sample apps (a pomodoro timer, a calculator, a kanban board, …), so this request got its generic list app. ' +
  'To have any app written, connect a real model: set LLM_PROVIDER and its API key (README, "With a real model").';
