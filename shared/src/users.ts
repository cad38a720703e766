import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import type { AuditEntry, Role, TokenView, UserView } from './contracts/auth';
import { ConflictError, NotFoundError } from './errors';
import type { RedisKeys } from './keys';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;
const SESSION_TTL_S = 30 * 24 * 3600;
let dummyHash: Promise<string> | null = null;

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** `scrypt$<salt hex>$<hash hex>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 64);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, saltHex, hashHex] = stored.split('$');
  if (kind !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = await scryptAsync(password, Buffer.from(saltHex, 'hex'), expected.length);
  return timingSafeEqual(actual, expected);
}

/** What a session or an API token is bound to: the account's identity and credential generation. */
interface Binding {
  /** Random per account: a person removed and created again under the same name differs. */
  uid: string;
  /** Bumped by a password reset and a logout: every older session and token stops working. */
  gen: number;
}

interface StoredUser extends UserView, Binding {
  password: string;
}

/**
 * Users, their sessions and API tokens, and the audit log. A session or token is bound to
 * the account's `uid` and `gen`, so a password reset, a logout or a removal ends every one
 * of them at once; each of those also publishes on the person's auth channel, and open
 * WebSockets check their credential again when it does.
 */
export class UserStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async create(name: string, password: string, role: Role, actor: string): Promise<UserView> {
    const user = { name, role, createdAt: Date.now() };
    const created = await this.redis.hsetnx(this.keys.user(name), 'name', name);
    if (!created) throw new ConflictError(`A user named ${name} already exists.`);
    const binding: Binding = { uid: randomBytes(12).toString('hex'), gen: 1 };
    await this.redis
      .multi()
      .hset(this.keys.user(name), {
        ...user,
        ...binding,
        password: await hashPassword(password),
      })
      .sadd(this.keys.users, name)
      .exec();
    await this.audit(actor, 'user.create', name, `role ${role}`);
    return user;
  }

  async get(name: string): Promise<StoredUser | null> {
    const hash = await this.redis.hgetall(this.keys.user(name));
    if (!hash.name || !hash.password) return null;
    return {
      name: hash.name,
      role: hash.role === 'admin' ? 'admin' : 'member',
      createdAt: Number(hash.createdAt),
      password: hash.password,
      uid: hash.uid ?? '',
      gen: Number(hash.gen ?? 0),
    };
  }

  async list(): Promise<UserView[]> {
    const names = (await this.redis.smembers(this.keys.users)).sort();
    const users = await Promise.all(names.map((n) => this.get(n)));
    return users.flatMap((u) =>
      u ? [{ name: u.name, role: u.role, createdAt: u.createdAt }] : [],
    );
  }

  async count(): Promise<number> {
    return this.redis.scard(this.keys.users);
  }

  /** A new password ends every session, API token and open socket of the person. */
  async resetPassword(name: string, password: string, actor: string): Promise<void> {
    if (!(await this.get(name))) throw new NotFoundError(`User ${name}`);
    await this.redis.hset(this.keys.user(name), 'password', await hashPassword(password));
    await this.endEverything(name);
    await this.audit(actor, 'user.reset_password', name);
  }

  /**
   * Ends every session, API token and open socket of the person (a logout does this: a
   * person who logs out is logged out everywhere, scripts included).
   */
  async endEverything(name: string): Promise<void> {
    const tokenKeys = await this.tokenKeys(name);
    await this.redis
      .multi()
      .hincrby(this.keys.user(name), 'gen', 1)
      .del(this.keys.userTokens(name), ...tokenKeys)
      .exec();
    await this.announceAuthChange(name);
  }

  /**
   * Removes a user with their tokens (their sessions and sockets stop working at once) and
   * what they left in Redis: apps, runs (with events and content), desktop, shared context,
   * notices, counters. A person created later under the same name starts empty.
   */
  async remove(name: string, actor: string): Promise<void> {
    if (!(await this.get(name))) throw new NotFoundError(`User ${name}`);
    const tokenKeys = await this.tokenKeys(name);
    await this.redis
      .multi()
      .del(this.keys.user(name), this.keys.userTokens(name), ...tokenKeys)
      .srem(this.keys.users, name)
      .exec();
    await this.announceAuthChange(name);
    await this.eraseData(name);
    await this.audit(actor, 'user.remove', name);
  }

  private async eraseData(name: string): Promise<void> {
    const k = this.keys;
    for (const id of await this.redis.zrange(k.userApps(name), 0, -1)) {
      await this.redis.del(k.app(id), k.appVersions(id), k.appRunVersions(id), k.appThumbs(id));
    }
    for (const id of await this.redis.zrange(k.userRuns(name), 0, -1)) {
      const contentId = await this.redis.hget(k.run(id), 'contentId');
      await this.redis.del(
        k.run(id),
        k.runHistory(id),
        k.runLlm(id),
        k.runEvents(id),
        ...(contentId ? [k.content(contentId)] : []),
      );
    }
    await this.redis.del(
      k.userApps(name),
      k.userRuns(name),
      k.desktop(name),
      k.userContext(name),
      k.userNotices(name),
      k.userActiveRuns(name),
    );
  }

  private async tokenKeys(name: string): Promise<string[]> {
    const tokens = await this.redis.hvals(this.keys.userTokens(name));
    return tokens.map((t) => this.keys.apiToken((JSON.parse(t) as { hash: string }).hash));
  }

  /** Tells every gateway that the person's credentials changed (sockets check theirs again). */
  private async announceAuthChange(name: string): Promise<void> {
    await this.redis.publish(this.keys.userAuthChannel(name), 'changed');
  }

  /** Checks a password; a wrong one counts towards the login throttle. */
  async authenticate(name: string, password: string): Promise<UserView | null> {
    const user = await this.get(name);
    // Hash even for an unknown user, so timing does not tell which names exist.
    dummyHash ??= hashPassword(randomBytes(12).toString('hex'));
    const ok = await verifyPassword(password, user?.password ?? (await dummyHash));
    if (!ok || !user) return null;
    return { name: user.name, role: user.role, createdAt: user.createdAt };
  }

  /** Counts a failed login; returns how many failed in the current window. */
  async recordLoginFailure(name: string, windowS: number): Promise<number> {
    const key = this.keys.loginFailures(name);
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, windowS, 'NX').exec()) as [
      [unknown, number],
    ];
    return count;
  }

  async loginFailures(name: string): Promise<{ count: number; resetInS: number }> {
    const key = this.keys.loginFailures(name);
    const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
    return { count: Number(count ?? 0), resetInS: Math.max(ttl, 0) };
  }

  async clearLoginFailures(name: string): Promise<void> {
    await this.redis.del(this.keys.loginFailures(name));
  }

  async createSession(name: string): Promise<string> {
    const user = await this.get(name);
    if (!user) throw new NotFoundError(`User ${name}`);
    const token = randomBytes(32).toString('base64url');
    const session = JSON.stringify({ name, uid: user.uid, gen: user.gen });
    await this.redis.set(this.keys.session(sha256(token)), session, 'EX', SESSION_TTL_S);
    return token;
  }

  async endSession(token: string): Promise<void> {
    await this.redis.del(this.keys.session(sha256(token)));
  }

  async userForSession(token: string): Promise<UserView | null> {
    const key = this.keys.session(sha256(token));
    const raw = await this.redis.get(key);
    if (!raw) return null;
    const session = parseBinding(raw);
    const user = session ? await this.bound(session.name, session) : null;
    if (!user) await this.redis.del(key);
    return user;
  }

  async createToken(owner: string, name: string): Promise<TokenView & { token: string }> {
    const token = `hd_${randomBytes(32).toString('base64url')}`;
    const id = randomBytes(6).toString('hex');
    const view = { id, name, createdAt: Date.now() };
    const hash = sha256(token);
    const user = await this.get(owner);
    if (!user) throw new NotFoundError(`User ${owner}`);
    await this.redis
      .multi()
      .hset(this.keys.userTokens(owner), id, JSON.stringify({ ...view, hash }))
      .hset(this.keys.apiToken(hash), { user: owner, id, uid: user.uid, gen: user.gen })
      .exec();
    await this.audit(owner, 'token.create', owner, name);
    return { ...view, token };
  }

  async listTokens(owner: string): Promise<TokenView[]> {
    const all = await this.redis.hvals(this.keys.userTokens(owner));
    return all.map((raw) => {
      const { id, name, createdAt } = JSON.parse(raw) as TokenView;
      return { id, name, createdAt };
    });
  }

  async revokeToken(owner: string, id: string): Promise<boolean> {
    const raw = await this.redis.hget(this.keys.userTokens(owner), id);
    if (!raw) return false;
    const { hash, name } = JSON.parse(raw) as { hash: string; name: string };
    await this.redis
      .multi()
      .hdel(this.keys.userTokens(owner), id)
      .del(this.keys.apiToken(hash))
      .exec();
    await this.audit(owner, 'token.revoke', owner, name);
    return true;
  }

  async userForToken(token: string): Promise<UserView | null> {
    const key = this.keys.apiToken(sha256(token));
    const stored = await this.redis.hgetall(key);
    if (!stored.user) return null;
    const user = await this.bound(stored.user, {
      uid: stored.uid ?? '',
      gen: Number(stored.gen ?? 0),
    });
    if (!user) await this.redis.del(key);
    return user;
  }

  async audit(actor: string, action: string, target?: string, detail?: string): Promise<void> {
    const entry: AuditEntry = {
      at: Date.now(),
      actor,
      action,
      ...(target ? { target } : {}),
      ...(detail ? { detail } : {}),
    };
    await this.redis.xadd(
      this.keys.audit,
      'MAXLEN',
      '~',
      '100000',
      '*',
      'e',
      JSON.stringify(entry),
    );
  }

  async auditLog(count = 200): Promise<AuditEntry[]> {
    const entries = await this.redis.xrevrange(this.keys.audit, '+', '-', 'COUNT', count);
    return entries.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as AuditEntry);
  }

  /** The account, if it is still the one the credential was issued for, in its generation. */
  private async bound(name: string, binding: Binding): Promise<UserView | null> {
    const user = await this.get(name);
    if (!user || user.uid !== binding.uid || user.gen !== binding.gen) return null;
    return { name: user.name, role: user.role, createdAt: user.createdAt };
  }
}

function parseBinding(raw: string): (Binding & { name: string }) | null {
  try {
    const value = JSON.parse(raw) as Partial<Binding & { name: string }>;
    if (typeof value.name !== 'string' || typeof value.uid !== 'string') return null;
    if (typeof value.gen !== 'number') return null;
    return { name: value.name, uid: value.uid, gen: value.gen };
  } catch {
    return null;
  }
}
