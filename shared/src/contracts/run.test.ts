import { describe, expect, it } from 'vitest';
import { JOBS, WORK_STATES } from '../jobs';
import { RUN_STATES, RunState, allowedSources, canTransition, isTerminal } from './run';

describe('run state machine', () => {
  it('lets any live state fail or be cancelled, and nothing leave a terminal state', () => {
    for (const state of RunState.options) {
      expect(canTransition(state, 'FAILED')).toBe(!isTerminal(state));
      expect(canTransition(state, 'CANCELLED')).toBe(!isTerminal(state));
      if (isTerminal(state)) expect(RUN_STATES[state].next).toEqual([]);
    }
    expect(canTransition('DONE', 'GENERATING_APP')).toBe(false);
  });

  it('follows the design: classify routes, generation checks, checks repair or finish', () => {
    expect(canTransition('RECEIVED', 'CLASSIFYING')).toBe(true);
    expect(canTransition('CLASSIFYING', 'GENERATING_APP')).toBe(true);
    expect(canTransition('CLASSIFYING', 'DONE')).toBe(false);
    expect(canTransition('CHECKING_APP', 'REPAIRING_APP')).toBe(true);
    expect(canTransition('REPAIRING_APP', 'CHECKING_APP')).toBe(true);
    expect(allowedSources('RECEIVED')).toEqual([]);
  });

  it('reaches DONE from RECEIVED through every intent path', () => {
    const reachable = new Set<string>(['RECEIVED']);
    let grew = true;
    while (grew) {
      grew = false;
      for (const from of reachable) {
        for (const to of RUN_STATES[from as RunState].next) {
          if (reachable.has(to)) continue;
          reachable.add(to);
          grew = true;
        }
      }
    }
    expect([...reachable].sort()).toEqual(
      RunState.options.filter((s) => s !== 'FAILED' && s !== 'CANCELLED').sort(),
    );
  });

  it('has one registered job, on the named queue, for every state a worker handles', () => {
    for (const state of WORK_STATES) expect(JOBS[state].queue).toBe(RUN_STATES[state].queue);
    const unhandled = RunState.options.filter((s) => RUN_STATES[s].queue === null);
    expect(unhandled.sort()).toEqual(['CANCELLED', 'DONE', 'FAILED', 'RECEIVED']);
  });
});
