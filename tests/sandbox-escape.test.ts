import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRunner, type Runner } from './support/runner';

/**
 * Tool code trying to get out of the bubblewrap sandbox: each case runs real Python in the
 * real python-runner and checks, from the host side, that nothing got out and the runner
 * still answers.
 */

interface Execution {
  ok: boolean;
  result: unknown;
  stderr: string;
  exitCode: number | null;
  killedBy: null | 'timeout' | 'memory' | 'cpu' | 'output' | 'signal';
  error?: string;
}

interface Context {
  runner: Runner;
  /** A host directory outside every workspace; nothing may appear in it. */
  outside: string;
  /** The pid of a host process (not the runner) that must survive every case. */
  victim: number;
  secret: string;
  tag: string;
  /** This case's workspace: its name in the request and its directory on the host. */
  workspace: string;
  dir: string;
}

interface Case {
  name: string;
  code: string;
  args?: (ctx: Context) => Record<string, unknown>;
  limits?: Record<string, number>;
  workspace?: string;
  check: (execution: Execution, ctx: Context) => void | Promise<void>;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Every case starts with this: args on stdin, and `attempt` naming the exception raised. */
const PRELUDE = `
import json, os, socket, sys
ARGS = json.load(sys.stdin)
def attempt(action):
    try:
        value = action()
        return "ok" if value is None else value
    except BaseException as e:
        return type(e).__name__
def done(**result):
    print(json.dumps(result))
`;

const LIBC = `
import ctypes, ctypes.util
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
def call(fn, *args):
    if fn(*args) == -1:
        return os.strerror(ctypes.get_errno())
    return "ok"
`;

/** The result of a tool that printed one JSON value. */
function seen<T = Record<string, unknown>>(execution: Execution): T {
  expect(execution.error, execution.stderr).toBeUndefined();
  expect(execution.ok).toBe(true);
  return execution.result as T;
}

function connectCode(address: string): string {
  return `done(result=attempt(lambda: socket.create_connection(${address}, timeout=2).close()))`;
}

const network: Case[] = [
  {
    name: 'cannot reach Redis on the host loopback',
    code: connectCode('("127.0.0.1", 6379)'),
    check: (e) => expect(seen(e).result).toBe('ConnectionRefusedError'),
  },
  {
    name: "cannot reach the runner's own API over loopback",
    code: `done(result=attempt(lambda: socket.create_connection(("127.0.0.1", ARGS["port"]), timeout=2).close()))`,
    args: (ctx) => ({ port: ctx.runner.port }),
    check: (e) => expect(seen(e).result).toBe('ConnectionRefusedError'),
  },
  {
    name: 'cannot reach Redis over IPv6 loopback',
    code: connectCode('("::1", 6379)'),
    check: (e) => expect(seen(e).result).not.toBe('ok'),
  },
  {
    name: 'cannot open a TCP connection to an outside address',
    code: connectCode('("1.1.1.1", 443)'),
    check: (e) => expect(seen(e).result).toMatch(/^(OSError|TimeoutError)$/),
  },
  {
    name: 'cannot send UDP outside',
    code: `
def send():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("8.8.8.8", 53))
done(result=attempt(send))
`,
    check: (e) => expect(seen(e).result).toBe('OSError'),
  },
  {
    name: 'cannot resolve names',
    code: `done(result=attempt(lambda: socket.getaddrinfo("example.com", 443) and None))`,
    check: (e) => expect(seen(e).result).toBe('gaierror'),
  },
  {
    name: 'cannot open raw or packet sockets',
    code: `
done(
    raw=attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()),
    packet=attempt(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW).close()),
)
`,
    check: (e) => expect(seen(e)).toEqual({ raw: 'PermissionError', packet: 'PermissionError' }),
  },
  {
    name: 'sees only a loopback interface that leads nowhere',
    code: `done(names=sorted(name for _, name in socket.if_nameindex()))`,
    check: (e) => expect(seen(e).names).toEqual(['lo']),
  },
  {
    name: "cannot reach the host's unix sockets",
    code: `
found = []
for top in ("/run", "/var/run", "/tmp"):
    for root, dirs, files in os.walk(top):
        found += [os.path.join(root, f) for f in files]
def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(path)
done(
    found=found,
    docker=attempt(lambda: connect("/var/run/docker.sock")),
    dbus=attempt(lambda: connect("/run/dbus/system_bus_socket")),
    redis=attempt(lambda: connect("/var/run/redis/redis-server.sock")),
    abstract=attempt(lambda: connect("\\0/tmp/.X11-unix/X0")),
)
`,
    check: (e) =>
      expect(seen(e)).toEqual({
        found: [],
        docker: 'FileNotFoundError',
        dbus: 'FileNotFoundError',
        redis: 'FileNotFoundError',
        abstract: 'ConnectionRefusedError',
      }),
  },
];

const filesystem: Case[] = [
  {
    name: 'cannot read /etc/shadow or /etc/passwd of the host',
    code: `done(shadow=attempt(lambda: open("/etc/shadow").read()), passwd=attempt(lambda: open("/etc/passwd").read()))`,
    check: (e) =>
      expect(seen(e)).toEqual({ shadow: 'FileNotFoundError', passwd: 'FileNotFoundError' }),
  },
  {
    name: "cannot read the host's home or the repository",
    code: `
done(
    home=attempt(lambda: os.listdir(ARGS["home"])),
    repo=attempt(lambda: open(ARGS["repoFile"]).read()),
    root=sorted(os.listdir("/")),
)
`,
    args: () => ({ home: homedir(), repoFile: join(repoRoot, 'package.json') }),
    check: (e) => {
      const r = seen<{ home: unknown; repo: unknown; root: string[] }>(e);
      expect(r.home).toBe('FileNotFoundError');
      expect(r.repo).toBe('FileNotFoundError');
      expect(r.root).not.toContain('home');
      expect(r.root).not.toContain('root');
      expect(r.root).not.toContain('etc');
    },
  },
  {
    name: 'cannot write outside its workspace and /tmp',
    code: `
def write(path):
    with open(path, "w") as f:
        f.write("escaped")
done(writes={p: attempt(lambda p=p: write(p)) for p in ARGS["paths"]})
`,
    args: (ctx) => ({
      paths: [
        join(ctx.outside, 'written'),
        `/usr/escape-${ctx.tag}`,
        `/escape-${ctx.tag}`,
        `/proc/escape-${ctx.tag}`,
        `/dev/escape-${ctx.tag}`,
        `/dev/shm/../escape-${ctx.tag}`,
        `/tool/escape-${ctx.tag}`,
        '/tool/tool.py',
      ],
    }),
    check: (e, ctx) => {
      const { writes } = seen<{ writes: Record<string, string> }>(e);
      expect(Object.values(writes)).not.toContain('ok');
      expect(readdirSync(ctx.outside)).toEqual([]);
      expect(existsSync(`/usr/escape-${ctx.tag}`)).toBe(false);
      expect(existsSync(`/escape-${ctx.tag}`)).toBe(false);
    },
  },
  {
    name: 'cannot escape the workspace with .. paths',
    code: `
def climb():
    for _ in range(20):
        os.chdir("..")
    with open("escape.txt", "w") as f:
        f.write("escaped")
    return os.getcwd()
done(
    relative=attempt(lambda: open("../../../escape.txt", "w").write("x")),
    climb=attempt(climb),
)
`,
    workspace: 'dots',
    check: (e, ctx) => {
      const r = seen<{ relative: string; climb: string }>(e);
      // `..` from /workspace ends at the sandbox's own root, which is read-only.
      expect(r.relative).toBe('OSError');
      expect(r.climb).toBe('OSError');
      expect(readdirSync(ctx.dir)).toEqual([]);
      expect(existsSync(join(ctx.runner.workspace, 'escape.txt'))).toBe(false);
      expect(existsSync(join(ctx.runner.workspace, '..', 'escape.txt'))).toBe(false);
    },
  },
  {
    name: 'cannot escape through a symlink left in its workspace',
    code: `
os.symlink(ARGS["outsideFile"], "link-out")
os.symlink("/", "link-root")
def write():
    with open("link-out", "w") as f:
        f.write("escaped")
done(
    write=attempt(write),
    listed=attempt(lambda: os.listdir("link-root/" + ARGS["outsideDir"].lstrip("/"))),
)
`,
    workspace: 'links',
    args: (ctx) => ({ outsideFile: join(ctx.outside, 'via-link'), outsideDir: ctx.outside }),
    check: async (e, ctx) => {
      const r = seen<{ write: string; listed: string }>(e);
      expect(r.write).toBe('FileNotFoundError');
      expect(r.listed).toBe('FileNotFoundError');
      expect(readdirSync(ctx.outside)).toEqual([]);
      // A second call into the same workspace (the links are still there) is contained too.
      const again = await run(ctx.runner, {
        code: `${PRELUDE}done(read=attempt(lambda: open("link-out").read()))`,
        workspace: ctx.workspace,
      });
      expect(seen(again).read).toBe('FileNotFoundError');
    },
  },
  {
    name: "cannot reach the host's root through /proc/1/root or /proc/self/root",
    code: `
done(
    pid1=attempt(lambda: open("/proc/1/root" + ARGS["repoFile"]).read()),
    self=attempt(lambda: open("/proc/self/root" + ARGS["repoFile"]).read()),
    cwd=attempt(lambda: os.listdir("/proc/1/cwd/" + ARGS["outside"])),
)
`,
    args: (ctx) => ({ repoFile: join(repoRoot, 'package.json'), outside: ctx.outside }),
    check: (e) => {
      const r = seen(e);
      expect(r.pid1).toMatch(/FileNotFoundError|PermissionError/);
      expect(r.self).toBe('FileNotFoundError');
      expect(r.cwd).toMatch(/FileNotFoundError|PermissionError/);
    },
  },
  {
    name: 'cannot write /sys or /proc/sys',
    code: `
def write(path, text):
    with open(path, "w") as f:
        f.write(text)
done(
    sys=attempt(lambda: write("/sys/kernel/mm/transparent_hugepage/enabled", "never")),
    hostname=attempt(lambda: write("/proc/sys/kernel/hostname", "owned")),
    sysrq=attempt(lambda: write("/proc/sysrq-trigger", "b")),
)
`,
    check: (e) => {
      const r = seen(e);
      expect(r.sys).toBe('FileNotFoundError');
      expect(r.hostname).toMatch(/PermissionError|OSError/);
      expect(r.sysrq).toMatch(/PermissionError|OSError|FileNotFoundError/);
      expect(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()).not.toBe('owned');
    },
  },
  {
    name: 'sees only harmless device nodes and cannot make new ones',
    code: `
import stat
done(
    devices=sorted(n for n in os.listdir("/dev") if stat.S_ISBLK(os.lstat("/dev/" + n).st_mode) or stat.S_ISCHR(os.lstat("/dev/" + n).st_mode)),
    mknod=attempt(lambda: os.mknod("disk", stat.S_IFBLK | 0o600, os.makedev(8, 0))),
    kcore=attempt(lambda: open("/dev/core", "rb").read(1)),
    mem=attempt(lambda: open("/dev/mem", "rb").read(1)),
    kmsg=attempt(lambda: open("/dev/kmsg", "rb").read(1)),
)
`,
    check: (e) => {
      const r = seen<{
        devices: string[];
        mknod: string;
        kcore: string;
        mem: string;
        kmsg: string;
      }>(e);
      for (const device of r.devices) {
        expect(['console', 'full', 'null', 'ptmx', 'random', 'tty', 'urandom', 'zero']).toContain(
          device,
        );
      }
      expect(r.mknod).toBe('PermissionError');
      expect(r.kcore).toMatch(/PermissionError|FileNotFoundError/);
      expect(r.mem).toBe('FileNotFoundError');
      expect(r.kmsg).toBe('FileNotFoundError');
    },
  },
  {
    name: 'cannot mount, remount read-only binds, chroot or make a user namespace',
    code: `${LIBC}
done(
    mount=call(libc.mount, b"none", b"/usr", None, 32 | 4096, None),
    tmpfs=call(libc.mount, b"none", b"/workspace", b"tmpfs", 0, None),
    chroot=attempt(lambda: os.chroot("/tmp")),
    userns=call(libc.unshare, 0x10000000),
    mountns=call(libc.unshare, 0x00020000),
)
`,
    check: (e) => {
      const r = seen(e);
      expect(r.mount).toMatch(/not permitted/i);
      expect(r.tmpfs).toMatch(/not permitted/i);
      expect(r.chroot).toBe('PermissionError');
      expect(r.userns).not.toBe('ok');
      expect(r.mountns).not.toBe('ok');
    },
  },
  {
    name: 'mounts nothing of the host but the system, its tool and its workspace',
    code: `
mounts = [line.split()[4] for line in open("/proc/self/mountinfo")]
done(mounts=mounts, sources=open("/proc/self/mountinfo").read())
`,
    check: (e, ctx) => {
      const r = seen<{ mounts: string[]; sources: string }>(e);
      const allowed = /^\/(|usr(\/.*)?|bin|sbin|lib\w*|proc(\/.*)?|dev(\/.*)?|tmp|tool|workspace)$/;
      for (const mount of r.mounts) expect(mount).toMatch(allowed);
      expect(r.sources).not.toContain(ctx.outside);
      expect(r.sources).not.toContain(repoRoot);
    },
  },
];

const environment: Case[] = [
  {
    name: 'has an empty environment: no Redis URL, API keys or runner settings',
    code: `done(env=dict(os.environ), own=open("/proc/self/environ", "rb").read().decode())`,
    check: (e, ctx) => {
      const r = seen<{ env: Record<string, string>; own: string }>(e);
      expect(Object.keys(r.env).sort()).toEqual([
        'HOME',
        'HYPERDESK_WORKSPACE',
        'LANG',
        'PATH',
        'PWD',
        'PYTHONDONTWRITEBYTECODE',
      ]);
      expect(JSON.stringify(r)).not.toContain(ctx.secret);
      expect(JSON.stringify(r)).not.toMatch(/REDIS_URL|LLM_API_KEY|RUNNER_/);
    },
  },
  {
    name: "cannot read any process's environment or command line holding the runner's secrets",
    code: `
def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError as e:
        return type(e).__name__
pids = [p for p in os.listdir("/proc") if p.isdigit()]
done(pids=pids, environ={p: read(f"/proc/{p}/environ") for p in pids}, cmdline={p: read(f"/proc/{p}/cmdline") for p in pids})
`,
    check: (e, ctx) => {
      const r = seen<{ pids: string[]; environ: object; cmdline: Record<string, string> }>(e);
      expect(JSON.stringify(r)).not.toContain(ctx.secret);
      expect(Object.values(r.cmdline).join(' ')).not.toMatch(/server\.py|node|vitest/);
    },
  },
];

const processes: Case[] = [
  {
    name: 'sees only its own few processes',
    code: `done(pids=sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), me=os.getpid(), uid=os.getuid())`,
    check: (e, ctx) => {
      const r = seen<{ pids: number[]; me: number; uid: number }>(e);
      expect(r.pids.length).toBeLessThanOrEqual(4);
      expect(r.pids).not.toContain(ctx.victim);
      expect(r.me).toBeLessThan(10);
      expect(r.uid).not.toBe(0);
    },
  },
  {
    name: 'cannot kill a host process by its pid',
    code: `
import signal
done(result=attempt(lambda: os.kill(ARGS["victim"], signal.SIGKILL)))
`,
    args: (ctx) => ({ victim: ctx.victim }),
    check: (e, ctx) => {
      expect(seen(e).result).toBe('ProcessLookupError');
      expect(() => process.kill(ctx.victim, 0)).not.toThrow();
    },
  },
  {
    name: 'signals to its parent, to pid 1 and to every process reach only the sandbox',
    code: `
import signal
done(
    init=attempt(lambda: os.kill(1, signal.SIGKILL)),
    group=attempt(lambda: os.killpg(0, signal.SIGCONT)),
    everyone=attempt(lambda: os.kill(-1, signal.SIGKILL)),
    parent=attempt(lambda: os.kill(os.getppid(), signal.SIGKILL)),
)
`,
    check: async (e, ctx) => {
      // Whatever the signals did inside the sandbox, they reached nothing outside it.
      expect(e.killedBy === null || e.killedBy === 'signal').toBe(true);
      expect(() => process.kill(ctx.victim, 0)).not.toThrow();
      expect(seen(await run(ctx.runner, { code: 'print(7)' })) as unknown).toBe(7);
    },
  },
  {
    name: 'cannot ptrace a host process',
    code: `${LIBC}
done(victim=call(libc.ptrace, 16, ARGS["victim"], None, None), seize=call(libc.ptrace, 0x4206, ARGS["victim"], None, None))
`,
    args: (ctx) => ({ victim: ctx.victim }),
    check: (e, ctx) => {
      const r = seen(e);
      expect(r.victim).toMatch(/No such process/i);
      expect(r.seize).toMatch(/No such process/i);
      expect(readFileSync(`/proc/${ctx.victim}/status`, 'utf8')).toMatch(/TracerPid:\s+0\n/);
    },
  },
  {
    name: 'cannot become root',
    code: `done(setuid=attempt(lambda: os.setuid(0)), setgid=attempt(lambda: os.setgid(0)), uid=os.getuid(), euid=os.geteuid())`,
    check: (e) => {
      const r = seen(e);
      // uid 0 is not even mapped in the sandbox's user namespace.
      expect(r.setuid).toMatch(/^(PermissionError|OSError)$/);
      expect(r.setgid).toMatch(/^(PermissionError|OSError)$/);
      expect(r.uid).not.toBe(0);
      expect(r.euid).not.toBe(0);
    },
  },
  {
    name: 'cannot change the hostname or the clock',
    code: `
import time
${LIBC}
done(hostname=attempt(lambda: socket.sethostname("owned")), clock=attempt(lambda: time.clock_settime(time.CLOCK_REALTIME, 0)))
`,
    check: (e) => {
      const r = seen(e);
      expect(r.hostname).toBe('PermissionError');
      expect(r.clock).toBe('PermissionError');
    },
  },
  {
    name: 'contains a fork bomb',
    code: `
while True:
    try:
        os.fork()
    except OSError:
        pass
`,
    limits: { wallMs: 2000 },
    check: (e) => expect(e).toMatchObject({ ok: false, killedBy: 'timeout' }),
  },
  {
    name: 'contains a thread bomb',
    code: `
import threading, time
threads, error = 0, None
try:
    for _ in range(10000):
        threading.Thread(target=time.sleep, args=(3,), daemon=True).start()
        threads += 1
except RuntimeError as e:
    error = str(e)
done(threads=threads, error=error)
sys.stdout.flush()
os._exit(0)
`,
    check: (e) => {
      const r = seen<{ threads: number; error: string }>(e);
      expect(r.threads).toBeLessThan(32);
      expect(r.error).toMatch(/can't start new thread/);
    },
  },
  {
    name: 'leaves no daemon running after it exits',
    code: `
import time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            with open("heartbeat.txt", "a") as f:
                f.write(".")
            time.sleep(0.05)
    os._exit(0)
time.sleep(0.3)
done(started=True)
`,
    workspace: 'daemon',
    check: async (e, ctx) => {
      expect(seen(e).started).toBe(true);
      const heartbeat = join(ctx.dir, 'heartbeat.txt');
      const beats = readFileSync(heartbeat, 'utf8').length;
      expect(beats).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 400));
      expect(readFileSync(heartbeat, 'utf8').length).toBe(beats);
    },
  },
];

const resources: Case[] = [
  {
    name: 'stops at its memory limit',
    code: 'blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))\n',
    limits: { memoryMb: 128 },
    check: (e) => {
      expect(e).toMatchObject({ ok: false, killedBy: 'memory' });
      expect(e.error).toContain('128 MB');
    },
  },
  {
    name: 'stops a CPU loop',
    code: 'while True:\n    pass\n',
    limits: { cpuS: 1, wallMs: 8000 },
    check: (e) => expect(e).toMatchObject({ ok: false, killedBy: 'cpu' }),
  },
  {
    name: 'stops at its wall time while sleeping',
    code: 'import time\ntime.sleep(60)\n',
    limits: { wallMs: 1000 },
    check: (e) => {
      expect(e).toMatchObject({ ok: false, killedBy: 'timeout' });
      expect(e.error).toContain('1000 ms');
    },
  },
  {
    name: 'cannot fill the disk through its private /tmp',
    code: `
written = 0
def fill():
    global written
    with open("/tmp/fill", "wb") as f:
        while True:
            f.write(b"x" * 1048576)
            f.flush()
            written += 1
done(error=attempt(fill), mb=written)
`,
    limits: { memoryMb: 64 },
    check: (e) => {
      const r = seen<{ error: string; mb: number }>(e);
      expect(r.error).toBe('OSError');
      expect(r.mb).toBeLessThanOrEqual(64);
    },
  },
  {
    name: 'cannot fill the disk through its workspace',
    code: `
written = 0
def fill():
    global written
    with open("fill.bin", "wb") as f:
        while True:
            f.write(b"x" * 1048576)
            f.flush()
            written += 1
done(error=attempt(fill), mb=written)
`,
    workspace: 'fill',
    limits: { memoryMb: 64 },
    check: (e, ctx) => {
      const r = seen<{ error: string; mb: number }>(e);
      expect(r.error).toBe('OSError');
      expect(statSync(join(ctx.dir, 'fill.bin')).size).toBeLessThanOrEqual(64 * 1024 * 1024);
    },
  },
  {
    name: 'has a private, capped /dev/shm (multiprocessing still works)',
    code: `
import multiprocessing
def fill():
    with open("/dev/shm/fill", "wb") as f:
        while True:
            f.write(b"x" * 1048576)
            f.flush()
done(lock=attempt(lambda: multiprocessing.Lock() and None), fill=attempt(fill), size=os.path.getsize("/dev/shm/fill"))
`,
    limits: { memoryMb: 64 },
    check: (e) => {
      const r = seen<{ lock: string; fill: string; size: number }>(e);
      expect(r.lock).toBe('ok');
      expect(r.fill).toBe('OSError');
      expect(r.size).toBeLessThanOrEqual(64 * 1024 * 1024);
    },
  },
  {
    name: 'is cut off when it writes huge output',
    code: 'import sys\nwhile True:\n    sys.stdout.write("x" * 65536)\n',
    check: (e) => {
      expect(e).toMatchObject({ ok: false, killedBy: 'output', result: null });
      expect(e.error).toContain('1048576 bytes');
    },
  },
  {
    name: 'keeps only a bounded part of huge stderr',
    code: 'import sys\nfor _ in range(400):\n    sys.stderr.write("e" * 65536)\nprint(1)\n',
    check: (e) => {
      expect(seen(e) as unknown).toBe(1);
      expect(e.stderr.length).toBeLessThanOrEqual(70 * 1024);
    },
  },
  {
    name: 'cannot open more files than its limit',
    code: `
files, error = [], None
try:
    for i in range(10000):
        files.append(open(f"/tmp/f{i}", "w"))
except OSError as e:
    error = e.strerror
done(opened=len(files), error=error)
`,
    check: (e) => {
      const r = seen<{ opened: number; error: string }>(e);
      expect(r.opened).toBeLessThan(64);
      expect(r.error).toMatch(/Too many open files/);
    },
  },
];

async function run(runner: Runner, body: Record<string, unknown>): Promise<Execution> {
  const res = await fetch(`${runner.url}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Execution;
  expect(res.status, JSON.stringify(answer)).toBe(200);
  return answer;
}

describe('sandbox escape attempts against the python-runner (bubblewrap)', () => {
  const secret = `hd-secret-${randomUUID()}`;
  const ctx = {} as Context;
  let victim: ChildProcess;

  beforeAll(async () => {
    victim = spawn('sleep', ['600'], { stdio: 'ignore' });
    ctx.runner = await startRunner({
      HYPERDESK_TEST_SECRET: secret,
      REDIS_URL: `redis://:${secret}@127.0.0.1:6379`,
      LLM_API_KEY: secret,
    });
    ctx.outside = mkdtempSync(join(tmpdir(), 'hd-outside-'));
    ctx.victim = victim.pid ?? 0;
    ctx.secret = secret;
    ctx.tag = randomUUID();
    // A file the tool knows the host path of, to prove reads and overwrites fail.
    writeFileSync(join(ctx.outside, '..', `hd-untouched-${ctx.tag}`), 'host');
  });
  afterEach(async () => {
    expect((await fetch(`${ctx.runner.url}/health`)).ok).toBe(true);
  });
  afterAll(async () => {
    victim?.kill('SIGKILL');
    await ctx.runner?.stop();
    rmSync(ctx.outside, { recursive: true, force: true });
    rmSync(join(ctx.outside, '..', `hd-untouched-${ctx.tag}`), { force: true });
  });

  const groups: [string, Case[]][] = [
    ['network', network],
    ['filesystem', filesystem],
    ['environment', environment],
    ['processes', processes],
    ['resources', resources],
  ];
  for (const [group, cases] of groups) {
    describe(group, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const workspace = `${c.workspace ?? 'escape'}-${ctx.tag}`;
          const caseCtx = { ...ctx, workspace, dir: join(ctx.runner.workspace, workspace) };
          const execution = await run(ctx.runner, {
            code: PRELUDE + c.code,
            args: c.args?.(caseCtx) ?? {},
            ...(c.limits ? { limits: c.limits } : {}),
            ...(c.workspace ? { workspace } : {}),
          });
          await c.check(execution, caseCtx);
        });
      }
    });
  }

  it('refuses workspace names that climb out of the workspace root', async () => {
    for (const workspace of ['..', '../x', '/etc', 'a/b', '.hidden']) {
      const res = await fetch(`${ctx.runner.url}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'print(1)', workspace }),
      });
      expect(res.status, workspace).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/workspace/);
    }
  });
});
