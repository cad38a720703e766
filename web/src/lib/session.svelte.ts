import { LoginBody, UserView } from '@hyperdesk/shared/contracts';
import { ApiError, errorMessage, onUnauthorized, request, type Schema } from './api';

type Mode = 'local' | 'accounts';

const MeReply: Schema<{ user: UserView; mode: Mode }> = {
  safeParse(input) {
    const value = input as { user?: unknown; mode?: unknown } | null;
    const user = UserView.safeParse(value?.user);
    const mode = value?.mode === 'accounts' ? 'accounts' : 'local';
    return user.success
      ? { success: true, data: { user: user.data, mode } }
      : { success: false, error: new Error('not a user') };
  },
};

const Anything: Schema<unknown> = { safeParse: (data) => ({ success: true, data }) };

/**
 * Who is using the desktop. On a team server (`accounts` mode) the desktop shows a login
 * form until the gateway knows the person; in local mode it never does.
 */
class Session {
  status = $state<'checking' | 'in' | 'out'>('checking');
  user = $state<UserView | null>(null);
  mode = $state<Mode>('local');

  constructor() {
    onUnauthorized(() => {
      if (this.status === 'in') this.status = 'out';
    });
  }

  async check(): Promise<void> {
    try {
      const me = await request('/api/auth/me', MeReply);
      this.user = me.user;
      this.mode = me.mode;
      this.status = 'in';
    } catch (error) {
      // Only a 401 means "log in"; an unreachable gateway shows as such on the desktop.
      if (error instanceof ApiError && error.status === 401) {
        this.mode = 'accounts';
        this.status = 'out';
      } else {
        this.status = 'in';
      }
    }
  }

  /** Throws an ApiError with a message meant for the person when the login fails. */
  async login(username: string, password: string): Promise<void> {
    const body = LoginBody.safeParse({ username, password });
    if (!body.success) throw new ApiError('Enter your user name and password.', 400, 'invalid');
    await request('/api/auth/login', Anything, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body.data),
    });
    await this.check();
  }

  async logout(): Promise<void> {
    try {
      await request('/api/auth/logout', Anything, { method: 'POST' });
    } catch (error) {
      console.warn('[session] logout:', errorMessage(error));
    }
    location.reload();
  }
}

export const session = new Session();
