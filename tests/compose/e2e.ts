/**
 * The checks of the compose end-to-end test, against a running deployment (tests/compose/run.sh
 * builds the images, starts it and tears it down). Talks to the published gateway port only,
 * like a person would, plus `podman` to look into containers.
 *
 * Env: HYPERDESK_URL, COMPOSE_PROJECT. The deployment runs without an admin configured, as
 * `docker compose up` with no .env does: the admin is the one the gateway generated and printed.
 */
import { execFileSync } from 'node:child_process';

const base = required('HYPERDESK_URL');
const project = required('COMPOSE_PROJECT');
const verified: string[] = [];
let cookie = '';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function say(line: string): void {
  process.stdout.write(`e2e: ${line}\n`);
}

function pass(line: string): void {
  verified.push(line);
  say(`ok   ${line}`);
}

function fail(line: string): never {
  throw new Error(line);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const reply = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(cookie ? { cookie } : {}),
    },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await reply.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the message
  }
  return { status: reply.status, json: json as T };
}

function podman(...args: string[]): string {
  return execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function containersOf(service: string): string[] {
  return podman(
    'ps',
    '--filter',
    `label=io.podman.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
    '--format',
    '{{.Names}}',
  )
    .split('\n')
    .filter(Boolean)
    .sort();
}

async function waitForGateway(): Promise<void> {
  const deadline = Date.now() + 180_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const { status, json } = await api('GET', '/health');
      last = `${status} ${JSON.stringify(json)}`;
      if (status === 200) {
        pass(`gateway healthy on the published port: ${JSON.stringify(json)}`);
        return;
      }
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(1000);
  }
  fail(`the gateway did not become healthy in 180 s (last: ${last})`);
}

/** The first admin the gateway created and printed once: `docker compose logs gateway | grep "First admin"`. */
function generatedAdmin(): { user: string; password: string } {
  const lines = containersOf('gateway')
    .flatMap((name) => podmanLogs(name).split('\n'))
    .filter((line) => line.includes('First admin'));
  if (lines.length !== 1)
    fail(`expected one "First admin" line in the gateway's log, found ${lines.length}`);
  const match = /First admin created\. User: (\S+) {2}Password: (\S+)/.exec(lines[0] ?? '');
  if (!match) fail(`the "First admin" line names no user and password: ${lines[0]}`);
  return { user: match[1] ?? '', password: match[2] ?? '' };
}

async function login(): Promise<void> {
  const { user, password } = generatedAdmin();
  const anonymous = await api('GET', '/api/apps');
  if (anonymous.status !== 401) fail(`GET /api/apps without login answered ${anonymous.status}`);
  const reply = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  });
  if (reply.status !== 200) fail(`login answered ${reply.status}: ${await reply.text()}`);
  cookie = (reply.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  if (!cookie) fail('login set no session cookie');
  pass(
    `accounts mode: anonymous API call refused (401); no admin configured, the generated admin "${user}" from the gateway's log logged in`,
  );
}

interface RunReply {
  id: string;
  state: string;
  intent?: string;
  appId?: string;
  error?: string;
  history: { state: string; ms?: number }[];
}

async function submitRun(prompt: string): Promise<string> {
  const { status, json } = await api<{ runId: string }>('POST', '/api/runs', { prompt });
  if (status !== 202) fail(`POST /api/runs answered ${status}: ${JSON.stringify(json)}`);
  return json.runId;
}

async function waitForRun(runId: string, timeoutMs = 120_000): Promise<RunReply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api<RunReply>('GET', `/api/runs/${runId}`);
    if (['DONE', 'FAILED', 'CANCELLED'].includes(json.state)) return json;
    if (Date.now() > deadline) fail(`run ${runId} still ${json.state} after ${timeoutMs / 1000} s`);
    await sleep(300);
  }
}

async function oneRun(): Promise<void> {
  const started = Date.now();
  const runId = await submitRun('e2e:hello a tiny hello app');
  const run = await waitForRun(runId);
  const path = run.history.map((h) => h.state).join(' → ');
  if (run.state !== 'DONE') fail(`run ${runId} ended ${run.state}: ${run.error ?? ''} (${path})`);
  if (!run.appId) fail(`run ${runId} is DONE without an app`);
  const app = await api<{ html?: string }>('GET', `/api/apps/${run.appId}`);
  if (app.status !== 200) fail(`GET /api/apps/${run.appId} answered ${app.status}`);
  pass(`run ${runId} DONE in ${Date.now() - started} ms (${path}), app ${run.appId} stored`);
}

const ADD_TOOL = {
  name: 'e2e_add',
  description: 'Adds two numbers (compose end-to-end test).',
  args: {
    type: 'object',
    properties: { a: { type: 'number' }, b: { type: 'number' } },
    required: ['a', 'b'],
  },
  returns: {
    type: 'object',
    properties: { sum: { type: 'number' }, python: { type: 'string' } },
    required: ['sum'],
  },
  examples: [{ args: { a: 2, b: 3 }, result: { sum: 5 } }],
  code: [
    'import json, sys, platform',
    'args = json.load(sys.stdin)',
    'print(json.dumps({"sum": args["a"] + args["b"], "python": platform.python_version()}))',
  ].join('\n'),
};

/** Reports, as JSON, what a tool can reach and do from inside the runner container. */
const PROBE_TOOL = {
  name: 'e2e_sandbox_probe',
  description: 'Reports what a tool can reach from the sandbox (compose end-to-end test).',
  args: {
    type: 'object',
    properties: { targets: { type: 'array', items: { type: 'string' } } },
  },
  returns: {
    type: 'object',
    properties: {
      connect: { type: 'object' },
      uid: { type: 'integer' },
      capEff: { type: 'string' },
      noNewPrivs: { type: 'string' },
      writeRoot: { type: 'string' },
      writeWorkspace: { type: 'string' },
      environ: { type: 'array' },
      packages: { type: 'object' },
    },
    required: ['connect'],
  },
  examples: [{ args: {} }],
  code: `import json, os, socket, sys, importlib

def attempt(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return "connected"
    except Exception as e:
        return f"{type(e).__name__}: {e}"

args = json.load(sys.stdin)
connect = {
    "1.1.1.1:53": attempt("1.1.1.1", 53),
    "redis:6379": attempt("redis", 6379),
    "llm-sim:4010": attempt("llm-sim", 4010),
    "gateway:4000": attempt("gateway", 4000),
}
for target in args.get("targets", []):
    host, _, port = target.rpartition(":")
    connect[target] = attempt(host, int(port))

status = {}
for line in open("/proc/self/status"):
    key, _, value = line.partition(":")
    status[key] = value.strip()

def write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        os.remove(path)
        return "written"
    except Exception as e:
        return f"{type(e).__name__}: {e}"

packages = {}
for name in ("psutil", "requests", "PIL", "numpy"):
    try:
        packages[name] = getattr(importlib.import_module(name), "__version__", "present")
    except Exception as e:
        packages[name] = f"missing: {e}"

print(json.dumps({
    "connect": connect,
    "uid": os.getuid(),
    "capEff": status.get("CapEff", "?"),
    "noNewPrivs": status.get("NoNewPrivs", "?"),
    "writeRoot": write("/usr/e2e-probe"),
    "writeWorkspace": write("e2e-probe"),
    "environ": sorted(os.environ.keys()),
    "packages": packages,
}))
`,
};

async function registerAndCall(): Promise<void> {
  const created = await api<{ ok?: boolean; version?: number }>('POST', '/api/tools', ADD_TOOL);
  if (created.status !== 201)
    fail(`POST /api/tools answered ${created.status}: ${JSON.stringify(created.json)}`);
  pass(`tool e2e_add tested in the runner and registered (version ${created.json.version})`);
  const called = await api<{ sum?: number; python?: string }>('POST', '/api/mono/e2e_add', {
    a: 2,
    b: 40,
  });
  if (called.status !== 200 || called.json.sum !== 42) {
    fail(`POST /api/mono/e2e_add answered ${called.status}: ${JSON.stringify(called.json)}`);
  }
  pass(
    `POST /api/mono/e2e_add {a:2,b:40} → ${JSON.stringify(called.json)} (the hardened runner's Python)`,
  );
  // With the session cookie a tool runs only by POST (GET is refused: it would let any page
  // of the same site run tools); query-string args still count.
  const query = await api<{ sum?: number }>('POST', '/api/mono/e2e_add?a=1&b=2', {});
  if (query.json.sum !== 3) fail(`POST /api/mono/e2e_add?a=1&b=2 → ${JSON.stringify(query.json)}`);
  pass('POST /api/mono/e2e_add?a=1&b=2 → {"sum":3} (query-string args coerced by the schema)');
  const viaGet = await api('GET', '/api/mono/e2e_add?a=1&b=2');
  if (viaGet.status !== 405) fail(`GET /api/mono with the session cookie → ${viaGet.status}`);
  pass('GET /api/mono/e2e_add with the session cookie → 405 (tools run by POST)');
}

/** A service's container addresses, on every network it is on. */
function addressesOf(service: string): string[] {
  return containersOf(service).flatMap((name) =>
    podman('inspect', name, '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}')
      .trim()
      .split(/\s+/)
      .filter(Boolean),
  );
}

async function sandboxProbe(): Promise<void> {
  // Not only by name (the runner's network has no DNS entry for them): by address too.
  const byAddress = [
    ...addressesOf('redis').map((ip) => `${ip}:6379`),
    ...addressesOf('llm-sim').map((ip) => `${ip}:4010`),
  ];
  if (byAddress.length < 2)
    fail(`could not find the addresses of redis and llm-sim: ${byAddress.join(', ')}`);
  const created = await api('POST', '/api/tools', PROBE_TOOL);
  if (created.status !== 201)
    fail(`registering the probe tool answered ${created.status}: ${JSON.stringify(created.json)}`);
  const { status, json } = await api<{
    connect: Record<string, string>;
    uid: number;
    capEff: string;
    noNewPrivs: string;
    writeRoot: string;
    writeWorkspace: string;
    environ: string[];
    packages: Record<string, string>;
  }>('POST', '/api/mono/e2e_sandbox_probe', { targets: byAddress });
  if (status !== 200) fail(`the probe tool answered ${status}: ${JSON.stringify(json)}`);
  say(`probe: ${JSON.stringify(json)}`);
  for (const target of ['1.1.1.1:53', 'redis:6379', 'llm-sim:4010', ...byAddress]) {
    const outcome = json.connect[target] ?? '';
    if (outcome === 'connected') fail(`a tool reached ${target}`);
    pass(`a tool cannot reach ${target}: ${outcome}`);
  }
  say(
    `info gateway:4000 from a tool: ${json.connect['gateway:4000']} (the gateway shares the runner network to call it; it serves only its authenticated API there)`,
  );
  if (json.uid === 0) fail('tools run as root');
  if (!/^0+$/.test(json.capEff)) fail(`tools hold capabilities: CapEff ${json.capEff}`);
  if (json.noNewPrivs !== '1') fail(`NoNewPrivs is ${json.noNewPrivs}`);
  if (json.writeRoot === 'written') fail('a tool could write to /usr');
  if (json.writeWorkspace !== 'written')
    fail(`a tool could not write its workspace: ${json.writeWorkspace}`);
  const leaked = json.environ.filter(
    (k) => !['PATH', 'HOME', 'LANG', 'PYTHONDONTWRITEBYTECODE', 'HYPERDESK_WORKSPACE'].includes(k),
  );
  if (leaked.length > 0) fail(`tool environment has ${leaked.join(', ')}`);
  pass(
    `tool runs as uid ${json.uid}, CapEff ${json.capEff}, NoNewPrivs 1, read-only /usr (${json.writeRoot}), writable workspace, environment ${json.environ.join(' ')}`,
  );
  const missing = Object.entries(json.packages).filter(([, v]) => v.startsWith('missing'));
  if (missing.length > 0) fail(`Debian packages missing for tools: ${JSON.stringify(missing)}`);
  pass(
    `tools import Debian's ${Object.entries(json.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
}

function runnerContainer(): void {
  const [name] = containersOf('python-runner');
  if (!name) fail('no python-runner container');
  const inspect = JSON.parse(podman('inspect', name)) as {
    HostConfig: {
      ReadonlyRootfs: boolean;
      CapDrop: string[] | null;
      CapAdd: string[] | null;
      SecurityOpt: string[] | null;
      PidsLimit: number;
      Memory: number;
      NanoCpus: number;
      Ulimits: { Name: string; Hard: number }[] | null;
    };
    NetworkSettings: { Networks: Record<string, unknown>; Ports: Record<string, unknown> };
    Config: { User: string };
  }[];
  const host = inspect[0]?.HostConfig;
  if (!host?.ReadonlyRootfs) fail('python-runner root filesystem is writable');
  const networks = Object.keys(inspect[0]?.NetworkSettings.Networks ?? {});
  const internal = networks.map(
    (n) => JSON.parse(podman('network', 'inspect', n)) as { internal: boolean }[],
  );
  if (!internal.every((n) => n[0]?.internal))
    fail(`python-runner on a non-internal network: ${networks.join(', ')}`);
  pass(
    `python-runner container: read-only root, user ${inspect[0]?.Config.User}, security ${JSON.stringify(host.SecurityOpt)}, ` +
      `memory ${host.Memory / 2 ** 20} MiB, cpus ${host.NanoCpus / 1e9}, pids limit ${host.PidsLimit}, ` +
      `ulimits ${JSON.stringify(host.Ulimits?.map((u) => `${u.Name}=${u.Hard}`))}, networks ${networks.join(', ')} (internal)`,
  );
  const caps = podman('exec', name, 'python3', '-c', 'print(open("/proc/1/status").read())')
    .split('\n')
    .filter((l) => /^(CapEff|CapBnd|NoNewPrivs)/.test(l))
    .join(' ')
    .replace(/\s+/g, ' ');
  if (!/CapEff:\s*0+\b/.test(caps) || !/CapBnd:\s*0+\b/.test(caps))
    fail(`runner capabilities: ${caps}`);
  pass(`python-runner process: ${caps} (cap_drop ALL, no-new-privileges)`);
}

/** A container's output, stdout and stderr together. */
function podmanLogs(container: string): string {
  return execFileSync('podman', ['logs', container], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Model calls of stage app_generate an app-generator container has logged. */
function generationsIn(container: string): number {
  return podmanLogs(container)
    .split('\n')
    .filter((l) => l.includes('"llm call"') && l.includes('"app_generate"')).length;
}

/**
 * Waits until every container has logged its service's "ready" line: a replica still waiting
 * for Redis (or restarting) would otherwise miss the work this test hands out.
 */
async function waitUntilReady(containers: string[], service: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (const name of containers) {
    while (!podmanLogs(name).includes(`"${service} ready"`)) {
      if (Date.now() > deadline) fail(`${name} never logged "${service} ready"`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function scaling(): Promise<void> {
  const generators = containersOf('app-generator');
  if (generators.length < 2)
    fail(`expected 2 app-generator containers, found ${generators.join(', ') || 'none'}`);
  await waitUntilReady(generators, 'app-generator');
  const before = new Map(generators.map((name) => [name, generationsIn(name)]));
  const started = Date.now();
  const runIds: string[] = [];
  for (let i = 0; i < 6; i++) runIds.push(await submitRun(`e2e:scale app number ${i + 1}`));
  const runs = await Promise.all(runIds.map((id) => waitForRun(id)));
  const failed = runs.filter((r) => r.state !== 'DONE');
  if (failed.length > 0)
    fail(
      `scaled runs not DONE: ${failed.map((r) => `${r.id} ${r.state} ${r.error ?? ''}`).join('; ')}`,
    );
  pass(`6 concurrent runs DONE in ${Date.now() - started} ms`);

  // Which container did the work: each logs every model call with its stage at debug level
  // (LOG_LEVEL=debug in this test); count the app generations per container.
  const counts = generators.map((name) => ({
    name,
    generations: generationsIn(name) - (before.get(name) ?? 0),
  }));
  say(
    `app generations per app-generator: ${counts.map((c) => `${c.name}=${c.generations}`).join(', ')}`,
  );
  const total = counts.reduce((sum, c) => sum + c.generations, 0);
  if (total < 6) fail(`expected at least 6 app generations, the logs show ${total}`);
  const idle = counts.filter((c) => c.generations === 0);
  if (idle.length > 0) fail(`app-generator ${idle.map((c) => c.name).join(', ')} took no work`);
  // And each has launched its own Chromium for the app checks.
  const browsers = generators.map((name) => ({
    name,
    chromium: podman('top', name, 'args')
      .split('\n')
      .filter((l) => /chrom/.test(l)).length,
  }));
  if (browsers.some((b) => b.chromium === 0)) fail(`no Chromium in ${JSON.stringify(browsers)}`);
  pass(
    `both app-generator replicas took work: ${counts.map((c) => `${c.name} ${c.generations} generation(s)`).join(', ')}; Chromium processes ${browsers.map((b) => `${b.name}=${b.chromium}`).join(', ')}`,
  );
}

async function main(): Promise<void> {
  await waitForGateway();
  await login();
  await oneRun();
  await registerAndCall();
  await sandboxProbe();
  runnerContainer();
  await scaling();
  say('');
  say(`verified (${verified.length}):`);
  for (const line of verified) say(`  - ${line}`);
}

main().catch((err: unknown) => {
  say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
