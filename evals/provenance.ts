import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LlmConfig } from '@hyperdesk/shared';

/** What a result was measured with: the settings, the code and the prompts. */
export interface Provenance {
  settings: {
    provider: string;
    model: string;
    baseURL: string;
    contextTokens: number | null;
    timeoutMs: number;
    maxRetries: number;
    /** Every LLM_* variable set for the run, keys left out. */
    env: Record<string, string>;
  };
  git: { commit: string; dirty: boolean } | null;
  /** sha256 over the source files that write the prompts (every file with a system message). */
  prompts: { sha256: string; files: string[] };
}

const root = fileURLToPath(new URL('..', import.meta.url));
const PROMPT_ROOTS = [
  'services/gateway/src',
  'services/planner/src',
  'services/tool-manager/src',
  'services/app-generator/src',
  'shared/src/llm',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** Files that hold a system prompt, and one hash over their contents. */
export function promptsHash(): Provenance['prompts'] {
  const files = PROMPT_ROOTS.flatMap((dir) => sourceFiles(join(root, dir)))
    .filter((file) => /role: 'system'/.test(readFileSync(file, 'utf8')))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return { sha256: hash.digest('hex'), files: files.map((f) => relative(root, f)) };
}

function gitState(): Provenance['git'] {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    return {
      commit: git(['rev-parse', 'HEAD']).trim(),
      dirty: git(['status', '--porcelain']).trim() !== '',
    };
  } catch {
    return null;
  }
}

export function provenance(config: LlmConfig, source: NodeJS.ProcessEnv): Provenance {
  const env = Object.fromEntries(
    Object.entries(source).filter(
      (entry): entry is [string, string] =>
        entry[0].startsWith('LLM_') && !/KEY/.test(entry[0]) && typeof entry[1] === 'string',
    ),
  );
  return {
    settings: {
      provider: config.provider,
      model: config.model,
      baseURL: config.baseURL,
      contextTokens: config.contextTokens,
      timeoutMs: config.timeoutMs,
      maxRetries: config.maxRetries,
      env,
    },
    git: gitState(),
    prompts: promptsHash(),
  };
}
