/**
 * When an app has started: the signal that ends a check's wait instead of a fixed sleep.
 *
 * An app's start is its scripts at load, and the work they schedule soon after: timers due
 * within `SOON_MS`, animation frames, and what those schedule in turn, down to `ROUNDS`
 * steps. An app that runs forever (an interval, a game loop on timers or animation frames)
 * has started once each of those steps ran once: its first ticks are where its errors show.
 * Timers further away (a poll every few seconds) are not waited for.
 *
 * `START_PROBE` is added to the checker's pages as an init script, so it runs in the app's
 * frame before any of its code (the SDK included) and counts that work; `__hdStarted()`
 * resolves when none is outstanding, two animation frames later (so what the last step
 * drew, and any tool answer posted meanwhile, has been handled).
 */
export const SOON_MS = 300;
export const ROUNDS = 2;

export const START_PROBE = `(() => {
  if (window === window.top) return;
  const real = { setTimeout, clearTimeout, setInterval, clearInterval, requestAnimationFrame, cancelAnimationFrame };
  const outstanding = new Set();
  const ids = new Map();
  let round = 0;
  let waiters = [];
  function settle(key) {
    if (!outstanding.delete(key) || outstanding.size > 0) return;
    const wake = waiters;
    waiters = [];
    wake.forEach((w) => w());
  }
  // Runs a callback at its round, so that what it schedules is one round later (a loop that
  // goes on past the last counted round stays past it).
  function counted(fn, at, key) {
    return function (...args) {
      const outer = round;
      round = at;
      try { return fn.apply(this, args); } finally { round = outer; settle(key); }
    };
  }
  function schedule(kind, soon, fn, start) {
    if (typeof fn !== 'function') return start(fn);
    if (!soon || round >= ${ROUNDS}) return start(counted(fn, round + 1, null));
    const key = {};
    outstanding.add(key);
    const id = start(counted(fn, round + 1, key));
    ids.set(kind + id, key);
    return id;
  }
  function cancel(kind, id, stop) {
    const key = ids.get(kind + id);
    ids.delete(kind + id);
    stop(id);
    if (key) settle(key);
  }
  const soon = (ms) => !(Number(ms) > ${SOON_MS});
  window.setTimeout = function (fn, ms, ...args) {
    return schedule('t', soon(ms), fn, (f) => real.setTimeout.call(window, f, ms, ...args));
  };
  window.setInterval = function (fn, ms, ...args) {
    return schedule('t', soon(ms), fn, (f) => real.setInterval.call(window, f, ms, ...args));
  };
  window.clearTimeout = window.clearInterval = function (id) {
    cancel('t', id, (i) => real.clearTimeout.call(window, i));
  };
  window.requestAnimationFrame = function (fn) {
    return schedule('f', true, fn, (f) => real.requestAnimationFrame.call(window, f));
  };
  window.cancelAnimationFrame = function (id) {
    cancel('f', id, (i) => real.cancelAnimationFrame.call(window, i));
  };
  const frames = (n, done) => (n === 0 ? done() : real.requestAnimationFrame.call(window, () => frames(n - 1, done)));
  Object.defineProperty(window, '__hdStarted', {
    value: () => new Promise((resolve) => {
      const check = () => {
        if (outstanding.size > 0) { waiters.push(check); return; }
        frames(2, () => (outstanding.size > 0 ? waiters.push(check) : resolve(true)));
      };
      check();
    }),
  });
})();`;
