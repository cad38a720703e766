/** Every Redis key name Hyperdesk uses, under one prefix (REDIS_PREFIX). */
export function redisKeys(prefix: string) {
  return {
    /** BullMQ's own prefix for queues. */
    queuePrefix: `${prefix}:q`,
    /** Held for a moment by the gateway sweeping stalled runs, so one sweeps at a time. */
    watchdogLock: `${prefix}:q:watchdog`,
    run: (id: string) => `${prefix}:run:${id}`,
    runHistory: (id: string) => `${prefix}:run:${id}:history`,
    runLlm: (id: string) => `${prefix}:run:${id}:llm`,
    runEvents: (id: string) => `${prefix}:run:${id}:events`,
    /** Pub/sub channel carrying a run's events as they are appended. */
    runChannel: (id: string) => `${prefix}:live:${id}`,
    /** Runs per owner, newest last (sorted by creation time). */
    userRuns: (owner: string) => `${prefix}:user:${owner}:runs`,
    app: (id: string) => `${prefix}:app:${id}`,
    /** Hash: version number → {html, title, runId, createdAt} as JSON. */
    appVersions: (id: string) => `${prefix}:app:${id}:versions`,
    /** Which run produced which version of an app: makes version writes idempotent. */
    appRunVersions: (id: string) => `${prefix}:app:${id}:runs`,
    userApps: (owner: string) => `${prefix}:user:${owner}:apps`,
    /** The person's window layout (JSON). */
    desktop: (owner: string) => `${prefix}:user:${owner}:desktop`,
    /** Hash: version number → JPEG screenshot taken by the browser check. */
    appThumbs: (id: string) => `${prefix}:app:${id}:thumbs`,
    /** Hash: key → ContextEntry JSON, the desktop context the person's apps share. */
    userContext: (owner: string) => `${prefix}:user:${owner}:context`,
    /** Hash: key → value, the data an app keeps (its `localStorage`) for this person. */
    appData: (owner: string, appId: string) => `${prefix}:user:${owner}:app-data:${appId}`,
    /** Hash: app id → bytes its data takes, for the person's limit over all apps. */
    appDataSizes: (owner: string) => `${prefix}:user:${owner}:app-data-sizes`,
    /** The person's notices, newest first (capped list of Notice JSON). */
    userNotices: (owner: string) => `${prefix}:user:${owner}:notices`,
    /** Pub/sub channel saying a person's credentials changed (reset, logout, removal). */
    userAuthChannel: (owner: string) => `${prefix}:auth-user:${owner}`,
    /** Set once a notice meant to be shown a person only once has been raised. */
    userNoticeOnce: (owner: string, flag: string) => `${prefix}:user:${owner}:notice-once:${flag}`,
    /** Pub/sub channel for what every connection of a person gets (notices, context). */
    userChannel: (owner: string) => `${prefix}:live-user:${owner}`,
    /** `hyperdesk.ask` calls an app made in a one-minute window (the per-app rate limit). */
    appAskRate: (appId: string, minute: number) => `${prefix}:app:${appId}:asks:${minute}`,
    /** Model tokens an app's `hyperdesk.ask` calls spent on a UTC day (YYYYMMDD). */
    appAskUsage: (appId: string, day: string) => `${prefix}:app:${appId}:ask-usage:${day}`,
    /** Tokens the person let an app spend on asks on a UTC day, beyond the free allowance. */
    appAskGranted: (appId: string, day: string) => `${prefix}:app:${appId}:ask-granted:${day}`,
    /** Set of every user name. */
    users: `${prefix}:users`,
    user: (name: string) => `${prefix}:user:${name}`,
    /** Hash: token id → {id, name, createdAt, hash} for the user's API tokens. */
    userTokens: (name: string) => `${prefix}:user:${name}:tokens`,
    /** Set of the user's runs still in progress (for the concurrency limit and fairness). */
    userActiveRuns: (name: string) => `${prefix}:user:${name}:active`,
    /** Model tokens the user spent on a UTC day (YYYYMMDD). */
    userTokenUsage: (name: string, day: string) => `${prefix}:user:${name}:usage:${day}`,
    /** Requests the user made in a one-minute window. */
    userRate: (name: string, minute: number) => `${prefix}:user:${name}:rate:${minute}`,
    /** A session (by the SHA-256 of its cookie value) → {name, uid, gen} as JSON. */
    session: (hash: string) => `${prefix}:session:${hash}`,
    /** An API token (by the SHA-256 of its value) → user name, token id, uid and gen. */
    apiToken: (hash: string) => `${prefix}:token:${hash}`,
    /** Failed logins per user name, for throttling. */
    loginFailures: (name: string) => `${prefix}:login-failures:${name}`,
    audit: `${prefix}:audit`,
    /** A virtual response: {type, body, owner, runId, title} as a hash. */
    content: (id: string) => `${prefix}:content:${id}`,
    /** The team's tool library: names sorted by last change. */
    tools: `${prefix}:tools`,
    tool: (name: string) => `${prefix}:tool:${name}`,
    /** Hash: version number → ToolVersion JSON. */
    toolVersions: (name: string) => `${prefix}:tool:${name}:versions`,
    /** Hash: build id → version it registered (makes registration idempotent). */
    toolBuilds: (name: string) => `${prefix}:tool:${name}:builds`,
    /** Set of the versions an admin granted network access (a grant is for one version). */
    toolNetworkGrants: (name: string) => `${prefix}:tool:${name}:network`,
    /** Hash: tool name → the version this person runs (their pin: accepted, written or first used). */
    userToolPins: (owner: string) => `${prefix}:user:${owner}:tool-pins`,
    /** Stream: who called which tool version, with which grant (capped; the audit of calls). */
    toolCalls: `${prefix}:audit:tool-calls`,
    /** Recent executions and repairs of a tool (capped list of JSON). */
    toolActivity: (name: string) => `${prefix}:tool:${name}:activity`,
    /** Marks a (tool version, error) pair already sent to repair, so it never loops. */
    toolRepairSeen: (name: string, fingerprint: string) =>
      `${prefix}:tool:${name}:repaired:${fingerprint}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
