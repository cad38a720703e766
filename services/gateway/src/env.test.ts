import { describe, expect, it } from 'vitest';
import { CreateUserBody } from '@hyperdesk/shared';
import { loadEnv } from './env';

describe('user names', () => {
  it('refuses a first admin whose name could not be a workspace, at start-up', () => {
    expect(() =>
      loadEnv({ HYPERDESK_ADMIN_USER: 'Team Admin', HYPERDESK_ADMIN_PASSWORD: 'x'.repeat(12) }),
    ).toThrow(/Invalid configuration:\n {2}HYPERDESK_ADMIN_USER: 2–32 chars/);
    expect(loadEnv({ HYPERDESK_ADMIN_USER: 'ops.admin' }).HYPERDESK_ADMIN_USER).toBe('ops.admin');
  });

  it('keeps "default" for the workspace tool builds test in', () => {
    const body = { name: 'default', password: 'long enough password' };
    const parsed = CreateUserBody.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/reserved/);
    expect(() => loadEnv({ HYPERDESK_ADMIN_USER: 'default' })).toThrow(/reserved/);
    expect(CreateUserBody.safeParse({ ...body, name: 'defaults' }).success).toBe(true);
  });
});
