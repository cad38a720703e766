/**
 * Where the person last put the keyboard in the desktop itself (never an app frame), so the
 * desktop can give it back when an app takes it without the person (the SDK's `unfocus`).
 */
let last: HTMLElement | null = null;

document.addEventListener('focusin', (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && !(target instanceof HTMLIFrameElement)) last = target;
});

/** Moves the keyboard out of `frame`, back to where it was in the desktop. */
export function takeKeyboardBack(frame: HTMLIFrameElement): void {
  if (document.activeElement !== frame) return;
  if (last?.isConnected) last.focus();
  else frame.blur();
}
