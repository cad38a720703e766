/**
 * Follows one pointer from a pointerdown until it is released, with pointer capture, so a
 * drag keeps going when the pointer leaves the element (or crosses an app frame).
 */
export function trackPointer(
  start: PointerEvent,
  element: HTMLElement,
  onmove: (dx: number, dy: number) => void,
  onend: () => void,
): void {
  const { pointerId, clientX, clientY } = start;
  try {
    element.setPointerCapture(pointerId);
  } catch {
    // The pointer is already gone; the listeners below still end the drag.
  }
  let ended = false;
  const move = (event: PointerEvent) => {
    if (event.pointerId === pointerId) onmove(event.clientX - clientX, event.clientY - clientY);
  };
  const end = (event: PointerEvent) => {
    if (ended || event.pointerId !== pointerId) return;
    ended = true;
    element.removeEventListener('pointermove', move);
    element.removeEventListener('pointerup', end);
    element.removeEventListener('pointercancel', end);
    element.removeEventListener('lostpointercapture', end);
    if (element.hasPointerCapture(pointerId)) element.releasePointerCapture(pointerId);
    onend();
  };
  element.addEventListener('pointermove', move);
  element.addEventListener('pointerup', end);
  element.addEventListener('pointercancel', end);
  element.addEventListener('lostpointercapture', end);
}
