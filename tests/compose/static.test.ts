/**
 * Static checks of the compose deployment (no engine needed, a few seconds):
 * - docker-compose.yml and docker-compose.sim.yml against the Compose specification schema
 *   (vendored: tests/compose/compose-spec.json, compose-spec/compose-spec schema/compose-spec.json);
 * - each Dockerfile against lint rules (tests/compose/dockerfile.ts);
 * - consistency between compose, images and code: entry files exist, every variable compose
 *   sets is one the service's env.ts accepts, the resolved settings parse, ports and URLs agree,
 *   the runner is locked down, .env.example lists every variable.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { resolveLlmConfig, type LlmEnv } from '@hyperdesk/shared';
import { NODE_SERVICES, builtEntry } from '../../scripts/services';
import { AppGeneratorEnv } from '../../services/app-generator/src/env';
import { GatewayEnv, authMode } from '../../services/gateway/src/env';
import { SimEnv } from '../../services/llm-sim/src/env';
import { PlannerEnv } from '../../services/planner/src/env';
import { ToolManagerEnv } from '../../services/tool-manager/src/env';
import {
  containerPort,
  dependsOn,
  interpolateAll,
  mergeCompose,
  readEnvFile,
  readYaml,
  referencedVariables,
  serviceNetworks,
  type ComposeFile,
  type Service,
} from './compose-file';
import {
  effective,
  envKeys,
  execForm,
  findStage,
  healthcheckCommand,
  lintDockerfile,
  parseDockerfile,
  sourceOf,
  stageChain,
  workdirOf,
  type Dockerfile,
} from './dockerfile';

const root = fileURLToPath(new URL('../..', import.meta.url));
const at = (p: string) => path.join(root, p);
const BASE = 'docker-compose.yml';
const SIM = 'docker-compose.sim.yml';

/** Our services and the env schema each one parses at start-up. */
const SCHEMAS: Record<string, z.ZodObject> = {
  gateway: GatewayEnv,
  planner: PlannerEnv,
  'tool-manager': ToolManagerEnv,
  'app-generator': AppGeneratorEnv,
  'llm-sim': SimEnv,
};
/** Services that read the model settings. */
const LLM_USERS = ['gateway', 'planner', 'tool-manager', 'app-generator'];
/** Services that need Redis. */
const REDIS_USERS = LLM_USERS;
/** Variables images set for their runtime, not read by env.ts. */
const RUNTIME_ENV = new Set(['NODE_ENV', 'PYTHONDONTWRITEBYTECODE', 'NODE_EXTRA_CA_CERTS']);

/** The variables the python-runner reads (config.py / limits.py: RUNNER_*). */
function runnerVariables(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(at('python-runner')).filter((f) => f.endsWith('.py'))) {
    for (const m of readFileSync(at(`python-runner/${file}`), 'utf8').matchAll(
      /"(RUNNER_[A-Z_]+)"/g,
    )) {
      names.add(m[1] ?? '');
    }
  }
  return names;
}

const base = readYaml(at(BASE)) as ComposeFile;
const sim = readYaml(at(SIM)) as ComposeFile;
const merged = mergeCompose(base, sim) as ComposeFile;
/** What a person deploying gets from `cp .env.example .env`. */
const exampleEnv = Object.fromEntries(readEnvFile(at('.env.example')));
const resolvedBase = interpolateAll(base, exampleEnv);
const resolvedSim = interpolateAll(merged, exampleEnv);

const dockerfiles = new Map<string, Dockerfile>();
function dockerfileOf(service: Service): Dockerfile | null {
  const file = service.build?.dockerfile;
  if (!file) return null;
  const full = at(path.join(service.build?.context ?? '.', file));
  if (!dockerfiles.has(full)) dockerfiles.set(full, parseDockerfile(full));
  return dockerfiles.get(full) ?? null;
}
function targetStage(service: Service) {
  const dockerfile = dockerfileOf(service);
  if (!dockerfile) return null;
  const stage = service.build?.target
    ? findStage(dockerfile, service.build.target)
    : dockerfile.stages.at(-1);
  return stage ? { dockerfile, stage } : null;
}
const env = (service: Service | undefined) =>
  Object.fromEntries(
    Object.entries(service?.environment ?? {}).map(([k, v]) => [
      k,
      v === null ? undefined : String(v),
    ]),
  );

describe('compose files', () => {
  it.each([BASE, SIM])('%s follows the Compose specification schema', (file) => {
    const { $schema: _draft, ...schema } = JSON.parse(
      readFileSync(at('tests/compose/compose-spec.json'), 'utf8'),
    ) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(readYaml(at(file)));
    expect(ajv.errorsText(validate.errors, { separator: '\n' }), file).toBe('No errors');
    expect(ok).toBe(true);
  });

  it('has the services the design names, each built from a Dockerfile target that exists', () => {
    for (const name of [
      'redis',
      'gateway',
      'planner',
      'tool-manager',
      'app-generator',
      'python-runner',
      'ollama',
    ]) {
      expect(base.services[name], name).toBeDefined();
    }
    expect(merged.services['llm-sim']).toBeDefined();
    for (const [name, service] of Object.entries(merged.services)) {
      if (!service.build) continue;
      const dockerfile = service.build.dockerfile ?? '';
      expect(existsSync(at(dockerfile)), `${name}: ${dockerfile}`).toBe(true);
      expect(targetStage(service), `${name}: target ${service.build.target}`).not.toBeNull();
      expect(service.image ?? '', `${name}: image tag`).not.toMatch(/:latest$/);
    }
  });
});

describe('Dockerfiles', () => {
  it('pass the lint rules', () => {
    const targets = new Map<Dockerfile, string[]>();
    for (const service of Object.values(merged.services)) {
      const found = targetStage(service);
      if (found?.stage.name)
        targets.set(found.dockerfile, [...(targets.get(found.dockerfile) ?? []), found.stage.name]);
    }
    expect(targets.size).toBeGreaterThanOrEqual(2);
    const problems = [...targets].flatMap(([dockerfile, names]) =>
      lintDockerfile(dockerfile, names),
    );
    expect(problems).toEqual([]);
  });

  it('the linter catches what it is meant to', () => {
    const bad = at('tests/compose/fixtures/bad.Dockerfile');
    const problems = lintDockerfile(parseDockerfile(bad), ['app']).join('\n');
    for (const expected of [
      'not multi-stage',
      'has no tag',
      'apt lists not removed',
      '--no-install-recommends',
      'npm install in an image',
      'dependencies installed after copying sources',
      'COPY . copies the whole context',
      'shell form',
      'runs as root',
      'has no HEALTHCHECK',
      'a secret baked into the image',
    ]) {
      expect(problems).toContain(expected);
    }
  });

  it('every command, entrypoint and healthcheck file the images run is in the repo', () => {
    for (const [name, service] of Object.entries(merged.services)) {
      const found = targetStage(service);
      if (!found) continue;
      const { dockerfile, stage } = found;
      const workdir = workdirOf(dockerfile, stage);
      const commands = [
        execForm(effective(dockerfile, stage, 'ENTRYPOINT')?.args ?? '[]'),
        execForm(effective(dockerfile, stage, 'CMD')?.args ?? '[]'),
        healthcheckCommand(effective(dockerfile, stage, 'HEALTHCHECK')?.args ?? ''),
      ];
      const files = commands
        .flat()
        .filter((a): a is string => !!a && /\.(ts|js|mjs|py|sh)$/.test(a));
      expect(files.length, `${name}: entry files`).toBeGreaterThan(0);
      for (const file of files) {
        // A service's bundle is built in the image (scripts/build.ts) from a source entry.
        const bundled = NODE_SERVICES.find((s) => builtEntry(s.source) === file);
        if (bundled) {
          const copied = stageChain(dockerfile, stage).some((s) =>
            s.instructions.some(
              (i) =>
                i.keyword === 'COPY' &&
                i.args.includes('--from=bundles') &&
                i.args.includes(path.posix.dirname(file)),
            ),
          );
          expect(copied, `${name}: ${file} is copied from the bundles stage`).toBe(true);
          expect(existsSync(at(bundled.source)), `${name}: ${bundled.source}`).toBe(true);
          continue;
        }
        const source = sourceOf(dockerfile, stage, path.posix.resolve(workdir, file));
        expect(source, `${name}: ${file} is copied into the image`).not.toBeNull();
        expect(existsSync(at(source ?? '')), `${name}: ${file} ← ${source}`).toBe(true);
      }
    }
    // Files the compose file mounts into upstream images.
    for (const [name, service] of Object.entries(base.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./'))
          expect(existsSync(at(source)), `${name}: ${source}`).toBe(true);
      }
    }
  });
});

describe('settings', () => {
  it('every variable compose or an image sets is one the service reads', () => {
    const runnerVars = runnerVariables();
    for (const [file, doc] of [
      [BASE, base],
      [SIM, merged],
    ] as const) {
      for (const [name, service] of Object.entries(doc.services)) {
        const accepted = SCHEMAS[name]
          ? new Set(Object.keys(SCHEMAS[name].shape))
          : name === 'python-runner'
            ? runnerVars
            : null;
        if (!accepted) continue; // redis, ollama: upstream images
        const found = targetStage(service);
        const imageEnv = found ? [...envKeys(found.dockerfile, found.stage).keys()] : [];
        for (const key of [...Object.keys(service.environment ?? {}), ...imageEnv]) {
          if (RUNTIME_ENV.has(key)) continue;
          expect(accepted.has(key), `${file}: ${name} sets ${key}, which it does not read`).toBe(
            true,
          );
        }
      }
    }
  });

  it.each([
    ['.env.example', exampleEnv],
    ['no .env at all', {}],
  ])('the settings from %s parse in every service, in both modes', (_source, vars) => {
    for (const [mode, doc] of [
      ['ollama', interpolateAll(base, vars)],
      ['sim', interpolateAll(merged, vars)],
    ] as const) {
      for (const [name, schema] of Object.entries(SCHEMAS)) {
        const service = doc.services[name];
        if (!service) continue;
        const found = targetStage(service);
        const imageEnv = found ? Object.fromEntries(envKeys(found.dockerfile, found.stage)) : {};
        const result = schema.safeParse({ ...imageEnv, ...env(service) });
        expect(result.error?.issues ?? [], `${mode}: ${name}`).toEqual([]);
        if (LLM_USERS.includes(name)) {
          const config = resolveLlmConfig(result.data as LlmEnv);
          expect(config.provider, `${mode}: ${name}`).toBe(mode);
          expect(new URL(config.baseURL).hostname, `${mode}: ${name} model host`).toBe(
            mode === 'sim' ? 'llm-sim' : 'ollama',
          );
        }
      }
    }
    // No admin configured: the gateway, a team server with accounts, creates one with a
    // generated password at its first start (tests/first-admin.test.ts).
    const gateway = GatewayEnv.parse(env(interpolateAll(base, vars).services.gateway));
    expect(authMode(gateway)).toBe('accounts');
    expect(gateway.HYPERDESK_ADMIN_USER).toBeUndefined();
    expect(gateway.HYPERDESK_ADMIN_PASSWORD).toBeUndefined();
  });

  it('a hosted provider works by the recipe in .env.example and never reaches the local model', () => {
    const hosted = interpolateAll(base, {
      ...exampleEnv,
      LLM_PROVIDER: 'cerebras',
      CEREBRAS_API_KEY: 'csk-test',
      OLLAMA_REPLICAS: '0',
    });
    for (const name of LLM_USERS) {
      const config = resolveLlmConfig(PlannerEnv.parse(env(hosted.services[name])));
      expect(config.baseURL, name).toBe('https://api.cerebras.ai/v1');
      // Its context is the model's, not the local servers' setting.
      expect(config.contextTokens, name).toBe(131_072);
    }
    expect(String(hosted.services.ollama?.deploy?.replicas)).toBe('0');
    // Without .env at all the same holds: no address default leaks into another provider.
    const bare = interpolateAll(base, { LLM_PROVIDER: 'groq', GROQ_API_KEY: 'gsk-test' });
    expect(resolveLlmConfig(PlannerEnv.parse(env(bare.services.planner))).baseURL).toBe(
      'https://api.groq.com/openai/v1',
    );
  });

  it.each([
    ['ollama', 'ollama', 'OLLAMA_CONTEXT_LENGTH'],
    ['llamacpp', 'llamacpp', 'LLAMA_ARG_CTX_SIZE'],
  ])(
    'LLM_PROVIDER=%s reaches the %s service, and the services plan with the context it runs',
    (provider, service, variable) => {
      for (const vars of [{ ...exampleEnv, LLM_PROVIDER: provider }, { LLM_PROVIDER: provider }]) {
        const doc = interpolateAll(base, vars);
        const config = resolveLlmConfig(PlannerEnv.parse(env(doc.services.planner)));
        expect(new URL(config.baseURL).hostname).toBe(service);
        const served = Number(env(doc.services[service])[variable]);
        // Large enough for an app, its document and the rewrite (4,096 truncates them).
        expect(served).toBeGreaterThanOrEqual(32_768);
        expect(config.contextTokens).toBe(served);
      }
    },
  );

  it('the local servers are current images, off unless chosen', () => {
    const tag = (base.services.ollama?.image ?? '').match(
      /:\$?\{?[A-Z_]*:?-?ollama\/ollama:(\d+)\.(\d+)/,
    );
    const [major, minor] = [Number(tag?.[1]), Number(tag?.[2])];
    // gpt-oss and Qwen3 need Ollama 0.11 or later; OLLAMA_CONTEXT_LENGTH 0.5.13.
    expect(major > 0 || minor >= 11, `ollama image ${base.services.ollama?.image}`).toBe(true);
    expect(String(resolvedBase.services.llamacpp?.deploy?.replicas)).toBe('0');
    expect(String(resolvedSim.services.llamacpp?.deploy?.replicas)).toBe('0');
  });

  it('no variable is required, so `docker compose up` needs no .env', () => {
    for (const file of [BASE, SIM]) {
      const text = readFileSync(at(file), 'utf8');
      const forms = referencedVariables(text);
      expect(
        [...forms].filter(([, form]) => form === 'required').map(([name]) => name),
        `${file}: required variables`,
      ).toEqual([]);
      // podman-compose 1.0 passes ${VAR:-} and ${VAR-} on literally: an empty default is ${VAR}.
      const code = text
        .split('\n')
        .filter((line) => !line.trim().startsWith('#'))
        .join('\n');
      expect(code.match(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-\}/g) ?? [], file).toEqual([]);
    }
    const admin = env(interpolateAll(base, {}).services.gateway);
    expect(admin.HYPERDESK_ADMIN_USER).toBe('');
    expect(admin.HYPERDESK_ADMIN_PASSWORD).toBe('');
  });

  it('the admin set in .env reaches the gateway', () => {
    const gateway = GatewayEnv.parse(
      env(
        interpolateAll(base, {
          HYPERDESK_ADMIN_USER: 'ops',
          HYPERDESK_ADMIN_PASSWORD: 'a long passphrase',
        }).services.gateway,
      ),
    );
    expect(gateway.HYPERDESK_ADMIN_USER).toBe('ops');
    expect(gateway.HYPERDESK_ADMIN_PASSWORD).toBe('a long passphrase');
  });

  it('.env.example lists every variable the compose files read, and nothing else', () => {
    const listed = readEnvFile(at('.env.example'), true);
    const used = new Set([
      ...referencedVariables(readFileSync(at(BASE), 'utf8')).keys(),
      ...referencedVariables(readFileSync(at(SIM), 'utf8')).keys(),
    ]);
    expect(
      [...used].filter((v) => !listed.has(v)),
      'missing from .env.example',
    ).toEqual([]);
    expect(
      [...listed.keys()].filter((v) => !used.has(v)),
      'listed but unused',
    ).toEqual([]);
  });
});

describe('wiring', () => {
  const port = (url: string) => Number(new URL(url).port || (url.startsWith('https') ? 443 : 80));

  it('ports agree: gateway PORT, its published port, EXPOSE and healthcheck', () => {
    const gateway = resolvedBase.services.gateway as Service;
    const portValue = Number(env(gateway).PORT);
    expect(gateway.ports?.map(containerPort)).toEqual([portValue]);
    const found = targetStage(gateway);
    expect(found).not.toBeNull();
    if (!found) return;
    const expose = effective(found.dockerfile, found.stage, 'EXPOSE')?.args;
    expect(expose).toBe(String(portValue));
    const health = healthcheckCommand(
      effective(found.dockerfile, found.stage, 'HEALTHCHECK')?.args ?? '',
    );
    expect(port(health?.find((a) => a.startsWith('http')) ?? '')).toBe(portValue);
    // The published host port is configurable, so several deployments (and tests) can coexist.
    expect(base.services.gateway?.ports?.[0]).toMatch(/^\$\{HYPERDESK_PORT:-4000\}:/);
  });

  it('URLs point at a service, on its port, over a shared network', () => {
    const services = resolvedSim.services;
    const portOf: Record<string, number> = {
      gateway: Number(env(services.gateway).PORT),
      'python-runner': Number(env(services['python-runner']).RUNNER_PORT),
      'llm-sim': Number(env(services['llm-sim']).LLM_SIM_PORT),
      redis: 6379,
      ollama: Number((env(resolvedBase.services.ollama).OLLAMA_HOST ?? '').split(':')[1]),
      llamacpp: Number(env(resolvedBase.services.llamacpp).LLAMA_ARG_PORT),
    };
    const checks: [string, string, string][] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const key of [
        'RUNNER_URL',
        'GATEWAY_URL',
        'LLM_BASE_URL',
        'OLLAMA_BASE_URL',
        'LLAMACPP_BASE_URL',
        'REDIS_URL',
      ]) {
        const value = env(service)[key];
        if (value) checks.push([name, key, value]);
      }
    }
    for (const key of ['OLLAMA_BASE_URL', 'LLAMACPP_BASE_URL']) {
      checks.push(['planner', key, env(resolvedBase.services.planner)[key] ?? '']);
    }
    expect(checks.length).toBeGreaterThanOrEqual(10);
    for (const [name, key, value] of checks) {
      const host = new URL(value).hostname;
      const all = { ...resolvedBase.services, ...services };
      const target = all[host];
      expect(target, `${name} ${key}=${value}: no service ${host}`).toBeDefined();
      expect(port(value), `${name} ${key}=${value}`).toBe(portOf[host]);
      const shared = serviceNetworks(all[name] as Service).filter((n) =>
        serviceNetworks(target as Service).includes(n),
      );
      expect(shared.length, `${name} and ${host} share no network`).toBeGreaterThan(0);
    }
    expect(env(services['python-runner']).RUNNER_HOST).toBe('0.0.0.0');
    expect(env(services['llm-sim']).LLM_SIM_HOST).toBe('0.0.0.0');
    expect(env(services.gateway).HOST).toBe('0.0.0.0');
  });

  it('start-up order, restarts and scaling', () => {
    for (const [name, service] of Object.entries(merged.services)) {
      expect(service.restart, `${name} restart`).toBe('unless-stopped');
    }
    for (const name of REDIS_USERS) {
      expect(dependsOn(base.services[name] as Service).redis?.condition, name).toBe(
        'service_healthy',
      );
      expect(dependsOn(merged.services[name] as Service)['llm-sim']?.condition, name).toBe(
        'service_healthy',
      );
      expect(
        dependsOn(base.services[name] as Service).ollama,
        `${name} must not need ollama`,
      ).toBeUndefined();
    }
    expect(base.services.redis?.healthcheck?.test).toBeDefined();
    expect(base.services.redis?.command).toEqual(
      expect.arrayContaining([
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--maxmemory-policy',
        'noeviction',
      ]),
    );
    const generator = base.services['app-generator'] as Service;
    expect(generator.container_name).toBeUndefined();
    expect(generator.ports).toBeUndefined();
    const published = Object.entries(base.services).filter(([, s]) => s.ports);
    expect(published.map(([n]) => n)).toEqual(['gateway']);
    expect(String(resolvedSim.services.ollama?.deploy?.replicas)).toBe('0');
  });

  it('the python-runner is locked down', () => {
    const runner = resolvedBase.services['python-runner'] as Service;
    expect(runner.read_only).toBe(true);
    expect([runner.tmpfs].flat().some((t) => String(t).startsWith('/tmp'))).toBe(true);
    expect(runner.cap_drop).toEqual(['ALL']);
    expect(runner.security_opt).toContain('no-new-privileges:true');
    expect(runner.pids_limit).toBeDefined();
    expect(runner.mem_limit).toBeDefined();
    expect(runner.cpus).toBeDefined();
    expect(runner.ports).toBeUndefined();
    expect(env(runner).RUNNER_SANDBOX).toBe('rlimits');
    for (const network of serviceNetworks(runner)) {
      expect(base.networks?.[network]?.internal, `network ${network}`).toBe(true);
    }
    // Only the services that call it share its network; never Redis or the model.
    const peers = Object.entries(base.services)
      .filter(
        ([n, s]) =>
          n !== 'python-runner' &&
          serviceNetworks(s).some((x) => serviceNetworks(runner).includes(x)),
      )
      .map(([n]) => n)
      .sort();
    expect(peers).toEqual(['gateway', 'tool-manager']);
    // No secrets in its environment.
    expect(
      Object.keys(env(runner)).filter((k) => /KEY|PASSWORD|SECRET|TOKEN|REDIS/.test(k)),
    ).toEqual([]);
    expect(runner.volumes?.some((v) => v.endsWith(':/workspace'))).toBe(true);
  });
});

describe('kubernetes manifests (infra/k8s)', () => {
  interface Container {
    name: string;
    image: string;
    env?: { name: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
    envFrom?: { configMapRef?: { name: string } }[];
    securityContext?: {
      allowPrivilegeEscalation?: boolean;
      capabilities?: { drop?: string[] };
      readOnlyRootFilesystem?: boolean;
    };
    resources?: { limits?: Record<string, string> };
    livenessProbe?: unknown;
    readinessProbe?: unknown;
  }
  interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    data?: Record<string, string>;
    stringData?: Record<string, string>;
    spec?: {
      template?: {
        spec: { securityContext?: { runAsNonRoot?: boolean }; containers: Container[] };
      };
    };
  }
  const dir = at('infra/k8s');
  const manifests: Manifest[] = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest),
    );
  const configMaps = new Map(
    manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name, m.data ?? {}]),
  );
  const secretExample: Record<string, string> =
    manifests.find((m) => m.kind === 'Secret')?.stringData ?? {};
  const secretKeys = new Set(Object.keys(secretExample));
  const deployments = manifests.filter((m) => m.kind === 'Deployment');

  it('every resource kustomization.yaml lists exists and parses', () => {
    const kustomization = readYaml(path.join(dir, 'kustomization.yaml')) as { resources: string[] };
    for (const file of kustomization.resources)
      expect(existsSync(path.join(dir, file)), file).toBe(true);
    expect(manifests.every((m) => m.apiVersion && m.kind && m.metadata.name)).toBe(true);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      'app-generator',
      'gateway',
      'planner',
      'python-runner',
      'tool-manager',
    ]);
  });

  it('each Deployment sets only variables its service reads, all of them parse, and it is locked down', () => {
    const runnerVars = runnerVariables();
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const pod = deployment.spec?.template?.spec;
      expect(pod?.securityContext?.runAsNonRoot, `${name} runAsNonRoot`).toBe(true);
      for (const container of pod?.containers ?? []) {
        const accepted = SCHEMAS[name] ? new Set(Object.keys(SCHEMAS[name].shape)) : runnerVars;
        const values: Record<string, string> = {};
        for (const ref of container.envFrom ?? []) {
          const data = configMaps.get(ref.configMapRef?.name ?? '');
          expect(data, `${name}: ConfigMap ${ref.configMapRef?.name}`).toBeDefined();
          Object.assign(values, data);
        }
        for (const variable of container.env ?? []) {
          const key = variable.valueFrom?.secretKeyRef?.key;
          if (key) expect(secretKeys.has(key), `${name}: secret key ${key}`).toBe(true);
          // A secret's value as the example gives it (an empty one as some value).
          values[variable.name] =
            (variable as { value?: string }).value ??
            (key && secretExample[key] ? secretExample[key] : 'x');
        }
        for (const key of Object.keys(values)) {
          expect(accepted.has(key), `${name} sets ${key}, which it does not read`).toBe(true);
        }
        if (SCHEMAS[name]) {
          const parsed = SCHEMAS[name].safeParse(values);
          expect(parsed.error?.issues ?? [], name).toEqual([]);
        }
        expect(container.securityContext?.allowPrivilegeEscalation, name).toBe(false);
        expect(container.securityContext?.capabilities?.drop, name).toEqual(['ALL']);
        expect(container.resources?.limits?.memory, `${name} memory limit`).toBeDefined();
        expect(container.livenessProbe ?? container.readinessProbe, `${name} probe`).toBeDefined();
        expect(container.image, name).toBe(`hyperdesk/${name}`);
      }
    }
    const runner = configMaps.get('hyperdesk-runner') ?? {};
    expect(runner.RUNNER_SANDBOX).toBe('rlimits');
    expect(new URL(configMaps.get('hyperdesk-gateway')?.RUNNER_URL ?? '').port).toBe(
      runner.RUNNER_PORT,
    );
  });
});
