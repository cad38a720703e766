import { z } from 'zod';

/** A person's name is also their workspace's; `default` is the one tool builds test in. */
export const Username = z
  .string()
  .regex(
    /^[a-z][a-z0-9_.-]{1,31}$/,
    '2–32 chars: lowercase letters, digits, _ . -, starting with a letter',
  )
  .refine((name) => name !== 'default', '"default" is reserved: tool builds run their tests there');

export const Role = z.enum(['admin', 'member']);
export type Role = z.infer<typeof Role>;

export const Password = z.string().min(10, 'at least 10 characters').max(200);

export const LoginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
});
export type LoginBody = z.infer<typeof LoginBody>;

/** A user as the API shows it (never the password hash). */
export const UserView = z.object({ name: z.string(), role: Role, createdAt: z.number() });
export type UserView = z.infer<typeof UserView>;

export const CreateUserBody = z.object({
  name: Username,
  password: Password,
  role: Role.default('member'),
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const ResetPasswordBody = z.object({ password: Password });
export type ResetPasswordBody = z.infer<typeof ResetPasswordBody>;

export const CreateTokenBody = z.object({ name: z.string().trim().min(1).max(60) });
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

export const TokenView = z.object({ id: z.string(), name: z.string(), createdAt: z.number() });
export type TokenView = z.infer<typeof TokenView>;

export const AuditEntry = z.object({
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  target: z.string().optional(),
  detail: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const UsersReply = z.object({ users: z.array(UserView) });
export type UsersReply = z.infer<typeof UsersReply>;

export const TokensReply = z.object({ tokens: z.array(TokenView) });
export type TokensReply = z.infer<typeof TokensReply>;

/** The one time a token's secret is shown. */
export const CreatedTokenReply = TokenView.extend({ token: z.string() });
export type CreatedTokenReply = z.infer<typeof CreatedTokenReply>;

export const AuditReply = z.object({ entries: z.array(AuditEntry) });
export type AuditReply = z.infer<typeof AuditReply>;
