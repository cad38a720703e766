import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerExit, startRunner, type Runner } from './support/runner';

interface Execution {
  ok: boolean;
  result: unknown;
  stderr: string;
  exitCode: number | null;
  durationMs: number;
  killedBy: null | 'timeout' | 'memory' | 'cpu' | 'output' | 'signal';
  error?: string;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const secret = `hd-secret-${randomUUID()}`;

async function post(runner: Runner, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${runner.url}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function execute(runner: Runner, request: Record<string, unknown>): Promise<Execution> {
  const { status, body } = await post(runner, request);
  expect(status, JSON.stringify(body)).toBe(200);
  return body as Execution;
}

async function result<T>(runner: Runner, request: Record<string, unknown>): Promise<T> {
  const execution = await execute(runner, request);
  expect(execution.error, execution.stderr).toBeUndefined();
  expect(execution.ok).toBe(true);
  return execution.result as T;
}

const forkChildren = `
import json, os, time
children, error = 0, None
for _ in range(200):
    try:
        pid = os.fork()
    except OSError as e:
        error = e.strerror
        break
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    children += 1
print(json.dumps({"children": children, "error": error}))
`;

describe('python-runner with bubblewrap', () => {
  let runner: Runner;
  beforeAll(async () => {
    runner = await startRunner({ HYPERDESK_TEST_SECRET: secret });
  });
  afterAll(async () => {
    await runner?.stop();
  });

  it('reports the active sandbox and its default limits on /health', async () => {
    const res = await fetch(`${runner.url}/health`);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      sandbox: 'bubblewrap',
      python: expect.stringMatching(/^3\.\d+/),
      limits: { wallMs: 10000, cpuS: 10, memoryMb: 256, processes: 32, outputBytes: 1048576 },
    });
  });

  it('returns the JSON a tool prints, with its args read from stdin', async () => {
    const code = `
import json, sys
args = json.load(sys.stdin)
print(json.dumps({"sum": args["a"] + args["b"], "echo": args}))
`;
    const args = { a: 2, b: 3, text: 'héllo "quoted" $(id)' };
    // The second call runs in the sandbox pre-started after the first.
    for (let i = 0; i < 2; i++) {
      expect(await result(runner, { code, args })).toEqual({ sum: 5, echo: args });
    }
  });

  it('passes argv items to CLI-style tools literally, without a shell', async () => {
    const code = `
import argparse, json, sys
parser = argparse.ArgumentParser()
parser.add_argument("--name")
parser.add_argument("--cmd")
parser.add_argument("--flag", action="store_true")
args = parser.parse_args()
print(json.dumps({"argv": sys.argv[1:], "name": args.name, "cmd": args.cmd, "flag": args.flag}))
`;
    const argv = ['--name', '; rm -rf /', '--cmd', '$(id)', '--flag'];
    expect(await result(runner, { code, argv })).toEqual({
      argv,
      name: '; rm -rf /',
      cmd: '$(id)',
      flag: true,
    });
  });

  it('gives tools no network unless the call asks for it', async () => {
    const code = `
import json, socket, sys
port = json.load(sys.stdin)["port"]
def attempt(action):
    try:
        action()
        return "connected"
    except OSError as e:
        return type(e).__name__
print(json.dumps({
    "loopback": attempt(lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close()),
    "resolve": attempt(lambda: socket.getaddrinfo("example.com", 443)),
    "outbound": attempt(lambda: socket.create_connection(("1.1.1.1", 53), timeout=2).close()),
}))
`;
    const args = { port: runner.port };
    const offline = await result<Record<string, string>>(runner, { code, args });
    expect(Object.values(offline)).not.toContain('connected');
    const online = await result<Record<string, string>>(runner, { code, args, network: true });
    expect(online.loopback).toBe('connected');
  });

  it('lets tools write only their workspace and a private /tmp', async () => {
    const tag = randomUUID();
    const code = `
import json, subprocess, sys
args = json.load(sys.stdin)
def write(path):
    try:
        with open(path, "w") as f:
            f.write("escaped")
        return "written"
    except OSError as e:
        return type(e).__name__
def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return type(e).__name__
try:
    subprocess.run(["mount", "-o", "remount,rw,bind", "/usr"], capture_output=True)
except OSError:
    pass
print(json.dumps({
    "writes": [write(path) for path in args["outside"]],
    "repo": read(args["repoFile"]),
    "tmp": write(args["tmp"]),
    "workspace": write("inside.txt"),
}))
`;
    const outside = [
      join(repoRoot, `escape-${tag}`),
      `/etc/escape-${tag}`,
      `/root/escape-${tag}`,
      `/usr/escape-${tag}`,
    ];
    const tmp = `/tmp/private-${tag}`;
    const workspace = `fs-${tag}`;
    const seen = await result<{ writes: string[]; repo: string; tmp: string; workspace: string }>(
      runner,
      { code, args: { outside, repoFile: join(repoRoot, 'package.json'), tmp }, workspace },
    );
    expect(seen.writes).not.toContain('written');
    expect(seen.repo).toBe('FileNotFoundError');
    expect(seen.tmp).toBe('written');
    expect(seen.workspace).toBe('written');
    for (const path of [...outside, tmp]) expect(existsSync(path), path).toBe(false);
    expect(readFileSync(join(runner.workspace, workspace, 'inside.txt'), 'utf8')).toBe('escaped');
  });

  it("cannot see the runner's environment or processes", async () => {
    const code = `
import json, os
def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""
pids = [p for p in os.listdir("/proc") if p.isdigit()]
print(json.dumps({
    "env": dict(os.environ),
    "ppid": os.getppid(),
    "environs": {p: read(f"/proc/{p}/environ") for p in pids},
    "cmdlines": {p: read(f"/proc/{p}/cmdline") for p in pids},
}))
`;
    const seen = await result<{
      env: Record<string, string>;
      ppid: number;
      environs: Record<string, string>;
      cmdlines: Record<string, string>;
    }>(runner, { code });
    expect(JSON.stringify(seen)).not.toContain(secret);
    expect(Object.keys(seen.env).sort()).toEqual([
      'HOME',
      'HYPERDESK_WORKSPACE',
      'LANG',
      'PATH',
      'PWD',
      'PYTHONDONTWRITEBYTECODE',
    ]);
    // The parent's environment was readable, it just holds nothing of the runner's.
    expect(seen.environs[String(seen.ppid)]).toContain('HYPERDESK_WORKSPACE=/workspace');
    expect(Object.values(seen.cmdlines).join(' ')).not.toContain('server.py');
  });

  it('kills a tool that runs past its wall time, with everything it started', async () => {
    const workspace = `heartbeat-${randomUUID()}`;
    const code = `
import os, time
if os.fork() == 0:
    os.setsid()
    while True:
        with open("heartbeat.txt", "a") as f:
            f.write(".")
        time.sleep(0.05)
while True:
    pass
`;
    const execution = await execute(runner, { code, workspace, limits: { wallMs: 1000 } });
    expect(execution).toMatchObject({ ok: false, killedBy: 'timeout', exitCode: null });
    expect(execution.error).toContain('1000 ms');
    const heartbeat = join(runner.workspace, workspace, 'heartbeat.txt');
    const beats = readFileSync(heartbeat, 'utf8').length;
    expect(beats).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 400));
    expect(readFileSync(heartbeat, 'utf8').length).toBe(beats);
  });

  it('stops a tool at its memory limit', async () => {
    const code = 'blocks = []\nwhile True:\n    blocks.append(bytearray(10 * 1024 * 1024))\n';
    const execution = await execute(runner, { code, limits: { memoryMb: 128 } });
    expect(execution).toMatchObject({ ok: false, killedBy: 'memory' });
    expect(execution.error).toContain('128 MB');
  });

  it('stops a tool at its CPU-time limit', async () => {
    const execution = await execute(runner, {
      code: 'while True:\n    pass\n',
      limits: { cpuS: 1, wallMs: 8000 },
    });
    expect(execution).toMatchObject({ ok: false, killedBy: 'cpu' });
  });

  it('caps the processes of each execution separately', async () => {
    const one = await result<{ children: number; error: string | null }>(runner, {
      code: forkChildren,
    });
    expect(one.children).toBeLessThan(32);
    expect(one.error).toMatch(/temporarily unavailable/i);
    const parallel = await Promise.all(
      [1, 2, 3].map(() =>
        result<{ children: number }>(runner, {
          code: forkChildren.replace('range(200)', 'range(20)'),
        }),
      ),
    );
    expect(parallel.map((r) => r.children)).toEqual([20, 20, 20]);
  });

  it('contains a fork bomb and stays healthy', async () => {
    const code = `
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
`;
    const execution = await execute(runner, { code, limits: { wallMs: 2000 } });
    expect(execution).toMatchObject({ ok: false, killedBy: 'timeout' });
    expect((await fetch(`${runner.url}/health`)).ok).toBe(true);
    expect(await result(runner, { code: 'print(42)' })).toBe(42);
  });

  it('cuts huge output and says which limit was hit', async () => {
    const code = 'import sys\nwhile True:\n    sys.stdout.write("x" * 65536)\n';
    const execution = await execute(runner, { code });
    expect(execution).toMatchObject({ ok: false, killedBy: 'output', result: null });
    expect(execution.error).toContain('1048576 bytes');
    const lowered = await execute(runner, { code, limits: { outputBytes: 1000 } });
    expect(lowered.error).toContain('1000 bytes');
  });

  it('explains non-JSON output and failing tools', async () => {
    const chatty = await execute(runner, { code: 'print("hello world")' });
    expect(chatty).toMatchObject({ ok: false, exitCode: 0, killedBy: null });
    expect(chatty.error).toBe('tool printed non-JSON output: hello world');

    const failing = 'def check():\n    raise ValueError("boom")\ncheck()\n';
    for (let i = 0; i < 2; i++) {
      const execution = await execute(runner, { code: failing });
      expect(execution).toMatchObject({ ok: false, exitCode: 1, killedBy: null });
      expect(execution.error).toBe('tool exited with code 1: ValueError: boom');
      expect(execution.stderr).toContain('raise ValueError("boom")');
    }
  });

  it('keeps a workspace between calls and apart from other workspaces', async () => {
    const workspace = `notes-${randomUUID()}`;
    const token = randomUUID();
    const write = `
import json, os, sys
with open("note.txt", "w") as f:
    f.write(json.load(sys.stdin)["token"])
print(json.dumps({"cwd": os.getcwd(), "home": os.environ["HOME"]}))
`;
    const read = `
import json, os
print(json.dumps(open("note.txt").read() if os.path.exists("note.txt") else None))
`;
    expect(await result(runner, { code: write, args: { token }, workspace })).toEqual({
      cwd: '/workspace',
      home: '/workspace',
    });
    expect(await result(runner, { code: read, workspace })).toBe(token);
    expect(readFileSync(join(runner.workspace, workspace, 'note.txt'), 'utf8')).toBe(token);
    expect(await result(runner, { code: read, workspace: `other-${randomUUID()}` })).toBeNull();
  });

  it.each(['..', '../escape', '/etc', 'a/b', '.hidden'])(
    'refuses the workspace name %j with 400',
    async (workspace) => {
      const { status, body } = await post(runner, { code: 'print(1)', workspace });
      expect(status).toBe(400);
      expect((body as { error: string }).error).toContain("'workspace'");
    },
  );

  it.each([
    ['not JSON', 'this is not json', /not valid JSON/],
    ['a JSON array', [1, 2], /must be a JSON object/],
    ['no code', { args: {} }, /'code' is required/],
    ['code that is not text', { code: 42 }, /'code' is required/],
    ['argv that is a string', { code: 'print(1)', argv: 'ls -la' }, /'argv' must be a list/],
    ['a negative limit', { code: 'print(1)', limits: { wallMs: -5 } }, /'wallMs' must be/],
    ['an unknown limit', { code: 'print(1)', limits: { memoryMB: 5 } }, /unknown limit/],
    ['a non-boolean network', { code: 'print(1)', network: 'yes' }, /'network' must be/],
    ['an unknown field', { code: 'print(1)', timeout: 5 }, /unknown field/],
    ['a body over 2 MB', { code: `# ${'x'.repeat(2_200_000)}` }, /limit is 2097152 bytes/],
  ])('answers 400 to %s', async (_label, body, message) => {
    const response = await post(runner, body);
    expect(response.status).toBe(400);
    expect((response.body as { error: string }).error).toMatch(message);
  });
});

/** Processes whose command line names `root` (bwrap binds each workspace by its host path). */
function sandboxesUnder(root: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(root)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe('python-runner pre-started sandboxes', () => {
  let runner: Runner;
  beforeAll(async () => {
    runner = await startRunner({ RUNNER_PRESTART_POOL: '3', RUNNER_PRESTART_IDLE_S: '2' });
  });
  afterAll(async () => {
    await runner?.stop();
  });

  it('never gives a call a sandbox started for another workspace or other limits', async () => {
    const code = `
import json, os, resource, sys
args = json.load(sys.stdin)
if "write" in args:
    with open("secret.txt", "w") as f:
        f.write(args["write"])
print(json.dumps({
    "ino": str(os.stat("/workspace").st_ino),
    "files": sorted(os.listdir("/workspace")),
    "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
}))
`;
    type Seen = { ino: string; files: string[]; memory: number };
    const a = `pool-a-${randomUUID()}`;
    const b = `pool-b-${randomUUID()}`;
    const token = randomUUID();
    await result(runner, { code, args: { write: token }, workspace: a });
    await result(runner, { code, workspace: b });
    const inode = (name: string) =>
      String(statSync(join(runner.workspace, name), { bigint: true }).ino);
    // Back to back, alternating keys, so each call meets sandboxes waiting for the others.
    for (let i = 0; i < 6; i++) {
      const inA = await result<Seen>(runner, { code, workspace: a });
      expect(inA).toEqual({ ino: inode(a), files: ['secret.txt'], memory: 256 * 1024 * 1024 });
      const inB = await result<Seen>(runner, { code, workspace: b });
      expect(inB).toEqual({ ino: inode(b), files: [], memory: 256 * 1024 * 1024 });
      const lowered = await result<Seen>(runner, { code, workspace: a, limits: { memoryMb: 64 } });
      expect(lowered).toMatchObject({ ino: inode(a), memory: 64 * 1024 * 1024 });
    }
    expect(readdirSync(join(runner.workspace, b))).toEqual([]);
  });

  it('drops sandboxes left waiting past RUNNER_PRESTART_IDLE_S', async () => {
    const workspace = `idle-${randomUUID()}`;
    expect(await result(runner, { code: 'print(1)', workspace })).toBe(1);
    const path = join(runner.workspace, workspace);
    await until(() => sandboxesUnder(path).length > 0, 5000);
    expect(sandboxesUnder(path).length).toBeGreaterThan(0);
    await until(() => sandboxesUnder(path).length === 0, 5000);
    expect(sandboxesUnder(path)).toEqual([]);
  });

  it('leaves no sandbox behind when stopped right after a burst of calls', async () => {
    const own = await startRunner({ RUNNER_PRESTART_POOL: '3' });
    try {
      for (let i = 0; i < 20; i++) {
        expect(await result(own, { code: 'print(1)', workspace: `w${i % 3}` })).toBe(1);
      }
      const burst = [...Array(8).keys()].map((i) =>
        result(own, { code: 'print(2)', workspace: `w${i % 2}` }),
      );
      expect(await Promise.all(burst)).toEqual(Array(8).fill(2));
      expect(sandboxesUnder(own.workspace).length).toBeGreaterThan(0);
    } finally {
      await own.stop();
    }
    await until(() => sandboxesUnder(own.workspace).length === 0, 2000);
    expect(sandboxesUnder(own.workspace)).toEqual([]);
  });
});

describe('python-runner workspace quota', () => {
  let runner: Runner;
  beforeAll(async () => {
    runner = await startRunner({ RUNNER_WORKSPACE_MB: '3' });
  });
  afterAll(async () => {
    await runner?.stop();
  });

  const write = (name: string, mb: number) => ({
    code: `open(${JSON.stringify(name)}, "wb").write(b"x" * ${mb} * 1024 * 1024)\nprint(1)`,
    workspace: 'full',
  });

  it('stops files growing in a workspace over its quota, and lets tools free it', async () => {
    expect(
      ((await (await fetch(`${runner.url}/health`)).json()) as { workspaceMb: number }).workspaceMb,
    ).toBe(3);
    // Under the quota, then over it: the measurement follows the call that wrote.
    expect(await result(runner, write('a.bin', 1))).toBe(1);
    expect(await result(runner, write('b.bin', 2))).toBe(1);
    let refused: Execution | undefined;
    await expect
      .poll(async () => {
        refused = await execute(runner, write('c.bin', 1));
        return refused.ok;
      })
      .toBe(false);
    expect(refused?.error).toMatch(/over its quota of 3 MB \(RUNNER_WORKSPACE_MB\)/);
    expect(refused?.stderr).toMatch(/File too large/);
    expect(refused).toMatchObject({ workspaceFull: true });
    // Reading still works, and so does deleting; then files may grow again.
    expect(
      await result(runner, {
        code: 'import json, os\nprint(json.dumps(sorted(os.listdir("."))))',
        workspace: 'full',
      }),
    ).toEqual(['a.bin', 'b.bin', 'c.bin']);
    expect(
      await result(runner, { code: 'import os\nos.remove("b.bin")\nprint(1)', workspace: 'full' }),
    ).toBe(1);
    await expect.poll(async () => (await execute(runner, write('d.bin', 1))).ok).toBe(true);
    // Another workspace never was over its quota.
    expect(await result(runner, { ...write('e.bin', 1), workspace: 'other' })).toBe(1);
  });
});

describe('python-runner in rlimits mode', () => {
  let runner: Runner;
  beforeAll(async () => {
    runner = await startRunner({ RUNNER_SANDBOX: 'rlimits', HYPERDESK_TEST_SECRET: secret });
  });
  afterAll(async () => {
    await runner?.stop();
  });

  it('runs tools with an empty environment and the same limits', async () => {
    expect(await (await fetch(`${runner.url}/health`)).json()).toMatchObject({
      sandbox: 'rlimits',
    });
    const code = 'import json, os\nprint(json.dumps(dict(os.environ)))\n';
    const env = await result<Record<string, string>>(runner, { code });
    expect(JSON.stringify(env)).not.toContain(secret);
    const forks = await result<{ children: number }>(runner, { code: forkChildren });
    expect(forks.children).toBeLessThan(32);
    const slow = await execute(runner, {
      code: 'while True:\n    pass\n',
      limits: { wallMs: 500 },
    });
    expect(slow.killedBy).toBe('timeout');
  });
});

describe('python-runner start-up', () => {
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
  }).trim();
  let emptyPath: string;
  beforeAll(async () => {
    emptyPath = await mkdtemp(join(tmpdir(), 'hyperdesk-empty-path-'));
  });
  afterAll(async () => {
    await rm(emptyPath, { recursive: true, force: true });
  });

  it.each(['bubblewrap', 'auto'])(
    'refuses RUNNER_SANDBOX=%s without bubblewrap, saying what to do',
    async (mode) => {
      const { code, output } = await runnerExit({ RUNNER_SANDBOX: mode, PATH: emptyPath }, python);
      expect(code).toBe(1);
      expect(output).toContain('bwrap is not on PATH');
      expect(output).toContain('install bubblewrap');
      expect(output).toContain('RUNNER_SANDBOX=rlimits');
    },
  );

  it('names the variable when the configuration is invalid', async () => {
    const { code, output } = await runnerExit({ RUNNER_SANDBOX: 'docker' }, python);
    expect(code).toBe(2);
    expect(output).toContain('RUNNER_SANDBOX must be one of auto, bubblewrap, rlimits');
  });
});

describe('python-runner shutdown', () => {
  it('on SIGTERM answers the executions in progress, then stops listening and exits 0', async () => {
    const runner = await startRunner({ RUNNER_SHUTDOWN_S: '20' });
    try {
      const exited = new Promise<number | null>((resolve) =>
        runner.process.once('exit', (code) => resolve(code)),
      );
      const started = Date.now();
      const slow = post(runner, {
        code: 'import json, time\ntime.sleep(1.5)\nprint(json.dumps({"finished": True}))\n',
        workspace: 'shutdown',
      });
      // Let the execution start before the signal.
      await until(() => Date.now() - started > 400, 1000);
      runner.process.kill('SIGTERM');
      const answer = await slow;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ ok: true, result: { finished: true } });
      expect(await exited).toBe(0);
      expect(runner.output()).toContain('finishing the executions in progress');
      await expect(fetch(`${runner.url}/health`)).rejects.toThrow();
    } finally {
      await runner.stop();
    }
  });

  it('kills what still runs when the shutdown deadline passes', async () => {
    const runner = await startRunner({ RUNNER_SHUTDOWN_S: '1' });
    try {
      const exited = new Promise<number | null>((resolve) =>
        runner.process.once('exit', (code) => resolve(code)),
      );
      const endless = fetch(`${runner.url}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'import time\ntime.sleep(60)\n', workspace: 'deadline' }),
      }).then(
        async (res) => ((await res.json()) as { ok: boolean }).ok,
        () => 'no answer',
      );
      await new Promise((r) => setTimeout(r, 400));
      runner.process.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(runner.output()).toContain('executions still running after 1 s; killing them');
      // Killed: either the connection closes with the process, or the answer says it failed.
      expect([false, 'no answer']).toContain(await endless);
    } finally {
      await runner.stop();
    }
  });
});
