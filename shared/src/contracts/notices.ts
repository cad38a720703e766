import { z } from 'zod';

export const NoticeLevel = z.enum(['info', 'success', 'warning', 'error']);
export type NoticeLevel = z.infer<typeof NoticeLevel>;

/** Longest notice text. */
export const MAX_NOTICE_CHARS = 300;

/** A short notification on a person's desktop, raised by a run or an app. */
export const Notice = z.object({
  id: z.string(),
  level: NoticeLevel,
  text: z.string(),
  at: z.number(),
  appId: z.string().optional(),
  runId: z.string().optional(),
  /** Who raised it, as the list shows it (an app's title, "Run"). */
  source: z.string().optional(),
});
export type Notice = z.infer<typeof Notice>;

/** `POST /api/notices` (an app's `hyperdesk.notify`, through the desktop). */
export const RaiseNoticeBody = z.object({
  level: NoticeLevel,
  text: z.string().trim().min(1, 'text must not be empty').max(MAX_NOTICE_CHARS),
  appId: z.string().min(1).max(64).optional(),
});
export type RaiseNoticeBody = z.infer<typeof RaiseNoticeBody>;

/** `GET /api/notices`: newest first. */
export const NoticeList = z.array(Notice);
