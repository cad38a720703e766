/**
 * A small Dockerfile reader and linter (hadolint is not available here). It understands
 * what the checks need: instructions with line continuations, stages and their parents,
 * and the exec form of CMD / ENTRYPOINT / HEALTHCHECK.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Instruction {
  keyword: string;
  /** The text after the keyword, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string | null;
  /** Image or earlier stage this stage starts from. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  file: string;
  stages: Stage[];
}

export function parseDockerfile(file: string): Dockerfile {
  const lines = readFileSync(file, 'utf8').split('\n');
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  lines.forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (pending !== '' && line.trim().startsWith('#')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const text = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(text);
    if (match) {
      instructions.push({
        keyword: (match[1] ?? '').toUpperCase(),
        args: (match[2] ?? '').replace(/\s+/g, ' '),
        line: startLine,
      });
    }
  });
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const parts = instruction.args.split(' ').filter((p) => !p.startsWith('--'));
      const asIndex = parts.findIndex((p) => p.toUpperCase() === 'AS');
      stages.push({
        from: parts[0] ?? '',
        name: asIndex >= 0 ? (parts[asIndex + 1] ?? null) : null,
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1]?.instructions.push(instruction);
    }
  }
  return { file, stages };
}

export function findStage(dockerfile: Dockerfile, name: string): Stage | undefined {
  return dockerfile.stages.find((s) => s.name === name);
}

/** The stage and the stages it builds on, nearest first. */
export function stageChain(dockerfile: Dockerfile, stage: Stage): Stage[] {
  const chain = [stage];
  let current = stage;
  for (;;) {
    const parent = findStage(dockerfile, current.from);
    if (!parent || chain.includes(parent)) return chain;
    chain.push(parent);
    current = parent;
  }
}

/** The last value of an instruction as the image built from `stage` sees it (inherited). */
export function effective(
  dockerfile: Dockerfile,
  stage: Stage,
  keyword: string,
): Instruction | undefined {
  for (const s of stageChain(dockerfile, stage)) {
    const found = s.instructions.filter((i) => i.keyword === keyword).at(-1);
    if (found) return found;
  }
  return undefined;
}

/** Exec-form arguments (`["a", "b"]`), or null for the shell form. */
export function execForm(args: string): string[] | null {
  if (!args.trim().startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

/** HEALTHCHECK's command in exec form: what follows `CMD`, options skipped. */
export function healthcheckCommand(args: string): string[] | null {
  const at = args.indexOf('CMD');
  return at === -1 ? null : execForm(args.slice(at + 3).trim());
}

/** ENV keys set in the stage chain (both `ENV A=1 B=2` and `ENV A 1`). */
export function envKeys(dockerfile: Dockerfile, stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const s of stageChain(dockerfile, stage).reverse()) {
    for (const i of s.instructions.filter((x) => x.keyword === 'ENV')) {
      const pairs = [...i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)];
      if (pairs.length > 0) {
        for (const [, key, value] of pairs) env.set(key ?? '', (value ?? '').replace(/^"|"$/g, ''));
      } else {
        const [key, ...rest] = i.args.split(' ');
        env.set(key ?? '', rest.join(' '));
      }
    }
  }
  return env;
}

/**
 * Maps a path inside the image built from `stage` to the file it was copied from in the build
 * context (COPY without --from), or null when no COPY put it there.
 */
export function sourceOf(
  dockerfile: Dockerfile,
  stage: Stage,
  containerPath: string,
): string | null {
  const copies: { dest: string; sources: string[] }[] = [];
  let workdir = '/'; // inherited from the parent stage
  for (const s of stageChain(dockerfile, stage).reverse()) {
    for (const i of s.instructions) {
      if (i.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, i.args);
      if (i.keyword !== 'COPY' || /--from=/.test(i.args)) continue;
      const parts = i.args.split(' ').filter((p) => p && !p.startsWith('--'));
      const dest = parts.pop() ?? '';
      copies.push({
        dest: path.posix.resolve(workdir, dest) + (dest.endsWith('/') ? '/' : ''),
        sources: parts,
      });
    }
  }
  const target = containerPath;
  for (const { dest, sources } of copies.reverse()) {
    for (const source of sources) {
      const isDir = source.endsWith('/');
      if (isDir && target.startsWith(dest.endsWith('/') ? dest : `${dest}/`)) {
        return path.posix.join(source, target.slice(dest.replace(/\/$/, '').length + 1));
      }
      if (!isDir) {
        const into =
          dest.endsWith('/') || sources.length > 1
            ? path.posix.join(dest, path.posix.basename(source))
            : dest;
        if (into === target) return source;
      }
    }
  }
  return null;
}

/** The directory WORKDIR leaves for the stage's commands. */
export function workdirOf(dockerfile: Dockerfile, stage: Stage): string {
  let workdir = '/';
  for (const s of stageChain(dockerfile, stage).reverse()) {
    for (const i of s.instructions) {
      if (i.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, i.args);
    }
  }
  return workdir;
}

/**
 * Lint rules, each the reason for it in its message. `targets` are the stages images are built
 * from (they must run as a non-root user and carry a HEALTHCHECK); the last stage is one too.
 */
export function lintDockerfile(dockerfile: Dockerfile, targets: string[]): string[] {
  const problems: string[] = [];
  const where = (i: Instruction) => `${path.basename(dockerfile.file)}:${i.line}`;
  const stageNames = new Set(dockerfile.stages.map((s) => s.name).filter(Boolean));

  if (dockerfile.stages.length < 2) problems.push(`${dockerfile.file}: not multi-stage`);

  for (const stage of dockerfile.stages) {
    if (!stageNames.has(stage.from)) {
      const [image, tag] = stage.from.split('@')[0]?.split(':') ?? [];
      if (!tag) problems.push(`${dockerfile.file}: FROM ${stage.from} has no tag (pin one)`);
      else if (tag === 'latest')
        problems.push(`${dockerfile.file}: FROM ${image}:latest (pin a version)`);
    }
    /** A COPY of sources (not manifests or small scripts) happened earlier in this stage. */
    let copiedSources = false;
    for (const i of stage.instructions) {
      if (i.keyword === 'ADD' && !/https?:\/\/|\.tar/.test(i.args)) {
        problems.push(`${where(i)}: ADD of local files; use COPY`);
      }
      if (i.keyword === 'WORKDIR' && !i.args.startsWith('/')) {
        problems.push(`${where(i)}: WORKDIR ${i.args} is relative`);
      }
      if (i.keyword === 'COPY' && /(^|\s)\.\s+\.?\/?$/.test(i.args)) {
        problems.push(
          `${where(i)}: COPY . copies the whole context (secrets, caches); copy what is needed`,
        );
      }
      if (
        i.keyword === 'COPY' &&
        !/--from=/.test(i.args) &&
        !/package(-lock)?\.json|\.mjs|\.js$|\.sh$/.test(i.args)
      ) {
        copiedSources = true;
      }
      if (i.keyword === 'RUN') {
        const run = i.args;
        if (/apt-get (-\S+ )*install/.test(run)) {
          if (!/apt-get update/.test(run))
            problems.push(
              `${where(i)}: apt-get install without apt-get update in the same RUN (stale lists in cache)`,
            );
          if (!/--no-install-recommends/.test(run))
            problems.push(`${where(i)}: apt-get install without --no-install-recommends`);
          if (!/rm -rf \/var\/lib\/apt\/lists/.test(run))
            problems.push(`${where(i)}: apt lists not removed in the same RUN (image size)`);
          if (!/\s-y\b|--yes|--assume-yes/.test(run))
            problems.push(`${where(i)}: apt-get install without -y`);
        }
        if (/\bnpm (install|i)\b/.test(run))
          problems.push(`${where(i)}: npm install in an image; use npm ci (the lockfile)`);
        if (copiedSources && /\bnpm ci\b|apt-get (-\S+ )*install|pip3? install/.test(run)) {
          problems.push(
            `${where(i)}: dependencies installed after copying sources: every code change re-installs them (copy manifests, install, then copy sources)`,
          );
        }
        if (/\bpip3? install\b/.test(run) && !/--no-cache-dir/.test(run))
          problems.push(`${where(i)}: pip install without --no-cache-dir`);
        if (/\bcurl\b[^|]*\|\s*(ba)?sh/.test(run))
          problems.push(`${where(i)}: piping a download into a shell`);
        if (/^cd\s/.test(run)) problems.push(`${where(i)}: RUN cd …; use WORKDIR`);
      }
      if ((i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT') && !execForm(i.args)) {
        problems.push(
          `${where(i)}: ${i.keyword} in shell form (signals do not reach the process); use the exec form`,
        );
      }
      if (i.keyword === 'HEALTHCHECK' && !/^NONE/.test(i.args) && !healthcheckCommand(i.args)) {
        problems.push(`${where(i)}: HEALTHCHECK without an exec-form CMD`);
      }
      if (i.keyword === 'ENV' && /(PASSWORD|SECRET|API_KEY|TOKEN)=/.test(i.args)) {
        problems.push(`${where(i)}: a secret baked into the image (ENV ${i.args.split('=')[0]})`);
      }
    }
  }

  const finals = new Set([...targets, dockerfile.stages.at(-1)?.name ?? '']);
  for (const name of finals) {
    if (!name) continue;
    const stage = findStage(dockerfile, name);
    if (!stage) {
      problems.push(`${dockerfile.file}: target ${name} is not a stage`);
      continue;
    }
    const user = effective(dockerfile, stage, 'USER');
    if (!user) problems.push(`${dockerfile.file}: target ${name} runs as root (no USER)`);
    else if (/^(root|0)(:|$)/.test(user.args))
      problems.push(`${where(user)}: target ${name} ends as USER ${user.args}`);
    if (!effective(dockerfile, stage, 'HEALTHCHECK'))
      problems.push(`${dockerfile.file}: target ${name} has no HEALTHCHECK`);
    if (!effective(dockerfile, stage, 'CMD') && !effective(dockerfile, stage, 'ENTRYPOINT')) {
      problems.push(`${dockerfile.file}: target ${name} has no CMD or ENTRYPOINT`);
    }
  }
  return problems;
}
