import { describe, expect, it } from 'vitest';
import { stepPriority } from './steps';

describe('stepPriority', () => {
  it('puts a person with fewer runs in progress first, whatever the step', () => {
    expect(stepPriority('GENERATING_APP', 1)).toBeLessThan(stepPriority('CHECKING_APP', 2));
    expect(stepPriority('CLASSIFYING', 0)).toBeLessThan(stepPriority('REPAIRING_APP', 5));
  });

  it("finishes one person's started apps before generating their next one", () => {
    expect(stepPriority('CHECKING_APP', 6)).toBeLessThan(stepPriority('GENERATING_APP', 6));
    expect(stepPriority('REPAIRING_APP', 6)).toBeLessThan(stepPriority('GENERATING_APP', 6));
  });

  it('stays within BullMQ priorities for any number of runs', () => {
    expect(stepPriority('GENERATING_APP', 1e9)).toBeLessThanOrEqual(2_097_152);
    expect(stepPriority('CHECKING_APP', 0)).toBeGreaterThanOrEqual(1);
  });
});
