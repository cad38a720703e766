import { randomBytes } from 'node:crypto';
import type { GatewayDeps } from './deps';

/**
 * The first admin of a team server: from HYPERDESK_ADMIN_USER / HYPERDESK_ADMIN_PASSWORD, or
 * generated and printed once when there are no users at all.
 */
export async function ensureFirstAdmin(deps: GatewayDeps): Promise<void> {
  const { HYPERDESK_ADMIN_USER: name, HYPERDESK_ADMIN_PASSWORD: password } = deps.env;
  if (name && password) {
    if (!(await deps.users.get(name))) {
      await deps.users.create(name, password, 'admin', 'setup');
      deps.logger.info({ user: name }, 'first admin created from HYPERDESK_ADMIN_USER');
    }
    return;
  }
  if ((await deps.users.count()) > 0) return;
  const generated = randomBytes(12).toString('base64url');
  const user = name ?? 'admin';
  await deps.users.create(user, generated, 'admin', 'setup');
  // Printed once, on purpose, to the console only: it is the one way to learn it. One line,
  // so `docker compose logs gateway | grep "First admin"` shows all of it.
  console.log(
    `First admin created. User: ${user}  Password: ${generated}  (shown only this once; change it in the desktop's Team panel, or with \`npm run user -- reset ${user}\`)`,
  );
}
