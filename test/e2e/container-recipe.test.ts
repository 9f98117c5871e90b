/**
 * The container recipe tested without a Docker engine. Everything is read from the Dockerfile and
 * docs/running-next-to-mender.md themselves, so the test cannot drift from them: the Dockerfile's last stage is laid
 * out as a root filesystem (the bundle it copies, nothing from node_modules), and its ENTRYPOINT
 * runs there chrooted as the image's unprivileged user, with the volumes, environment and
 * arguments of the page's `docker run` examples and of its Kubernetes Job (key Secret and plan
 * ConfigMap mounted read-only, read-only root), against the test database. What only an engine
 * could tell is checked statically: the base image and its Node version, the user, no key or
 * secret baked in, what the build stage copies. The image build itself is bundle.test.ts's, where
 * docker answers.
 */
import { createPublicKey, verify } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ENVIRONMENT } from '../../src/config';
import { ExitCode } from '../../src/errors';
import { LOCAL_AUDIT_NOTICE, ROOT, client, passwordFile, runJson, snapshot, state, tmpDir, withFreshDatabases, type Dbs } from '../support/harness';

/** The user a child needs (Mender Enterprise 4.x). */
const kidUser = (n: string): string[] => ['--user', `${n.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@child.example`, '--password-file', passwordFile(tmpDir())];
import { storedLimit } from '../support/limits';
import {
  buildImage,
  dockerRuns,
  fencedBlocks,
  fileTree,
  kubectlCreated,
  mountPoints,
  parseCopy,
  parseDockerfile,
  parseEnv,
  runContainer,
  standInUnavailable,
  type ContainerRun,
  type DockerRun,
  type Image,
  type Stage,
} from '../support/container-recipe';

// js-yaml comes with jest (declared in devDependencies for this file); it has no types of its own here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as { safeLoad(text: string): unknown };

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string }; scripts: Record<string, string> };
const dockerfileText = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfileText);
const finalStage = stages[stages.length - 1]!;
/** The page on running next to Mender (docs/running-next-to-mender.md), whole: its recipes are the ones tested. */
const section = fs.readFileSync(path.join(ROOT, 'docs/running-next-to-mender.md'), 'utf8');
const blocks = fencedBlocks(section);
const jobText = blocks.find((b) => b.lang === 'yaml' && /^kind: Job$/m.test(b.body))?.body ?? '';
const runs = dockerRuns(section);
const shellRun = runs.find((r) => blocks.some((b) => b.lang === 'sh' && b.body.includes(r.line.split(' ').slice(0, 4).join(' '))));
const imageTag = /docker build -t (\S+)/.exec(section)?.[1];
const ENV_NAMES = new Set<string>(Object.values(ENVIRONMENT).map((e) => e.name));
/** A variable that holds a secret itself (a *_FILE or *_PATH names where one is, and is fine). */
const SECRETISH = /^(?!.*_(?:FILE|PATH)$).*(?:PASSWORD|SECRET|TOKEN|CREDENTIAL|KEY|USERNAME)/;

function instructions(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.rest);
}

/** The Job as the README shows it: parsed YAML, the objects its comments create, and its one container. */
interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    podFailurePolicy?: { rules: { action: string; onExitCodes?: { containerName?: string; operator: string; values: number[] } }[] };
    template: {
      spec: {
        restartPolicy: string;
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number };
        containers: {
          name: string;
          image: string;
          command?: string[];
          args: string[];
          env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
          securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsUser?: number };
          volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
        }[];
        volumes: { name: string; configMap?: { name: string; defaultMode?: number }; secret?: { secretName: string; defaultMode?: number } }[];
      };
    };
  };
}

describe('the recipe, checked where only an engine could', () => {
  it('the README shows the Dockerfile, a docker run with its image tag, and a Kubernetes Job', () => {
    expect(blocks.map((b) => b.lang)).toEqual(expect.arrayContaining(['dockerfile', 'sh', 'yaml']));
    expect(shellRun).toBeDefined();
    expect(jobText).not.toBe('');
    for (const r of runs) expect({ line: r.line, image: r.image }).toEqual({ line: r.line, image: imageTag });
  });

  it('every stage is FROM the official Node image, at a version package.json engines accepts', () => {
    const [, min] = /^>=\s*(\d+\.\d+(?:\.\d+)?)$/.exec(pkg.engines.node) ?? [];
    expect(min).toBeDefined();
    const [minMajor, minMinor] = min!.split('.').map(Number) as [number, number];
    for (const s of stages) {
      const m = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)(?:\.(\d+))?(?:\.\d+)?(?:-[a-z0-9]+)?(?:@sha256:[0-9a-f]{64})?$/.exec(s.image);
      expect({ from: s.image, official: !!m }).toEqual({ from: s.image, official: true });
      const [major, minor] = [Number(m![1]), m![2] === undefined ? undefined : Number(m![2])];
      // A major-only tag is that line's newest release; it fits when the line holds the minimum.
      const fits = major > minMajor || (major === minMajor && (minor === undefined || minor >= minMinor));
      expect({ from: s.image, engines: pkg.engines.node, fits }).toEqual({ from: s.image, engines: pkg.engines.node, fits: true });
      // The stand-in runs this machine's node: the same major, so what it shows holds for the image.
      expect({ from: s.image, runtime: process.versions.node.split('.')[0] }).toEqual({ from: s.image, runtime: String(major) });
    }
  });

  it('the image runs as a non-root user, in exec form, with no key or secret copied or set in ENV', () => {
    const users = instructions(finalStage, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1]!.split(':')[0]!;
    expect(['root', '0']).not.toContain(user);
    expect(instructions(finalStage, 'ENTRYPOINT')).toHaveLength(1);
    expect(instructions(finalStage, 'ENTRYPOINT')[0]).toMatch(/^\[/); // exec form: node is PID 1 and gets SIGTERM
    for (const s of stages) {
      expect({ stage: s.name ?? s.image, add: instructions(s, 'ADD') }).toEqual({ stage: s.name ?? s.image, add: [] });
      for (const c of instructions(s, 'COPY').map(parseCopy)) {
        for (const src of c.sources) expect({ copied: src, keyLike: /\.pem$|\.key$|rsa|secret|\.env$/i.test(src) }).toEqual({ copied: src, keyLike: false });
      }
      for (const e of [...instructions(s, 'ENV'), ...instructions(s, 'ARG').map((a) => (a.includes('=') ? a : `${a}=`))]) {
        for (const [name, value] of Object.entries(parseEnv(e))) {
          expect({ name, secret: SECRETISH.test(name) && !!value, pem: value.includes('-----BEGIN') }).toEqual({ name, secret: false, pem: false });
        }
      }
    }
    // What the build stage copies from the context: no key file among the tracked files, and none that .dockerignore hides.
    const copied = stages.slice(0, -1).flatMap((s) => instructions(s, 'COPY').map(parseCopy).filter((c) => !c.from).flatMap((c) => c.sources));
    const tracked = spawnSync('git', ['ls-files', '--', ...copied], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(0);
    expect(tracked.filter((f) => /\.(pem|key|p12|pfx)$/.test(f))).toEqual([]);
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const src of copied) expect({ src, ignored: ignored.some((i) => src.replace(/\/$/, '') === i || src.startsWith(`${i}/`)) }).toEqual({ src, ignored: false });
  });

  it("the build stage copies every file the bundle script reads, and produces what the last stage copies", () => {
    const build = stages.find((s) => s.name && instructions(finalStage, 'COPY').some((c) => parseCopy(c).from === s.name))!;
    expect(build).toBeDefined();
    const copied = instructions(build, 'COPY').map(parseCopy).flatMap((c) => c.sources);
    const covered = (file: string) => copied.some((c) => (c.endsWith('/') ? file.startsWith(c) : file === c));
    // The files `npm run bundle` names (and the tsconfig it extends) must be in the stage.
    const named = `${pkg.scripts.build} ${pkg.scripts.bundle}`.match(/[\w./-]+\.(?:js|json)\b/g)!;
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { extends?: string };
    for (const f of [...named, 'package.json', 'package-lock.json', ...(tsconfig.extends ? [path.normalize(tsconfig.extends)] : [])]) {
      expect({ file: f, inBuildStage: covered(f) }).toEqual({ file: f, inBuildStage: true });
    }
    expect(instructions(build, 'RUN').some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(instructions(build, 'RUN').some((r) => /\bnpm run (--silent )?bundle\b/.test(r))).toBe(true);
  });

  it("the Job is a valid batch/v1 Job whose mounts, objects and paths agree with each other and the image", () => {
    const job = yaml.safeLoad(jobText) as Job;
    const { configMaps, secrets } = kubectlCreated(jobText);
    expect({ apiVersion: job.apiVersion, kind: job.kind }).toEqual({ apiVersion: 'batch/v1', kind: 'Job' });
    expect(jobText).toContain(`logs job/${job.metadata.name}`);
    const pod = job.spec.template.spec;
    expect(['Never', 'OnFailure']).toContain(pod.restartPolicy);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0]!;
    expect(c.image).toMatch(/^[\w./-]+(:[\w.-]+)$/);
    expect(c.command).toBeUndefined(); // args only: the image's ENTRYPOINT runs
    expect(c.args.every((a) => typeof a === 'string')).toBe(true);
    if (job.spec.podFailurePolicy) {
      expect(pod.restartPolicy).toBe('Never'); // Kubernetes refuses a podFailurePolicy otherwise
      for (const rule of job.spec.podFailurePolicy.rules) {
        if (rule.onExitCodes?.containerName) expect(rule.onExitCodes.containerName).toBe(c.name);
        // Codes that a retry cannot change: input, not found, conflict, a rule.
        expect(rule.onExitCodes?.values.sort()).toEqual([ExitCode.usage, ExitCode.notFound, ExitCode.conflict, ExitCode.rule].sort());
      }
    }
    // Every mount has its volume, every volume is mounted, each from an object the comments create.
    expect(c.volumeMounts.map((m) => m.name).sort()).toEqual(pod.volumes.map((v) => v.name).sort());
    for (const v of pod.volumes) {
      if (v.configMap) expect({ volume: v.name, created: Object.keys(configMaps) }).toEqual({ volume: v.name, created: expect.arrayContaining([v.configMap.name]) });
      else if (v.secret) expect({ volume: v.name, created: Object.keys(secrets) }).toEqual({ volume: v.name, created: expect.arrayContaining([v.secret.secretName]) });
      else throw new Error(`volume ${v.name}: neither a ConfigMap nor a Secret`);
    }
    for (const m of c.volumeMounts) expect({ mount: m.name, readOnly: m.readOnly }).toEqual({ mount: m.name, readOnly: true });
    // The variables are ones tenantadm reads; credentials come from a created Secret, never inline.
    for (const e of c.env ?? []) {
      expect({ name: e.name, known: ENV_NAMES.has(e.name) }).toEqual({ name: e.name, known: true });
      if (SECRETISH.test(e.name)) expect({ name: e.name, inline: e.value !== undefined }).toEqual({ name: e.name, inline: false });
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) expect({ name: e.name, key: ref.key, secretKeys: secrets[ref.name] }).toEqual({ name: e.name, key: ref.key, secretKeys: expect.arrayContaining([ref.key]) });
      if (e.value !== undefined) expect({ name: e.name, credentialsInUrl: /\/\/[^/]*@/.test(e.value) }).toEqual({ name: e.name, credentialsInUrl: false });
    }
    // The image's USER is a name: kubelet can only enforce runAsNonRoot with a numeric runAsUser.
    const sc = { ...pod.securityContext, ...c.securityContext };
    expect(sc.runAsNonRoot).toBe(true);
    expect(typeof sc.runAsUser === 'number' && sc.runAsUser > 0).toBe(true);
    // The plan the args name is a file of the plan ConfigMap.
    const plan = c.args.find((a) => a.startsWith('/'))!;
    const fileOf = (p: string) => {
      const m = c.volumeMounts.find((vm) => path.posix.dirname(p) === vm.mountPath)!;
      const v = pod.volumes.find((x) => x.name === m?.name);
      return { mount: m?.mountPath, keys: v?.configMap ? configMaps[v.configMap.name] : v?.secret ? secrets[v.secret.secretName] : undefined, file: path.posix.basename(p) };
    };
    expect(fileOf(plan)).toEqual({ mount: path.posix.dirname(plan), keys: expect.arrayContaining([path.posix.basename(plan)]), file: path.posix.basename(plan) });
    // A reallocation signs no tenant token: the Job holds no signing key (the image's key path is not mounted).
    const keyPath = c.env?.find((e) => e.name === ENVIRONMENT.keyFile.name)?.value ?? parseEnv(instructions(finalStage, 'ENV').join(' '))[ENVIRONMENT.keyFile.name]!;
    expect({ keyPath, mountedBy: c.volumeMounts.filter((m) => keyPath.startsWith(`${m.mountPath}/`)).map((m) => m.name) }).toEqual({ keyPath, mountedBy: [] });
  });

  it("every docker run mounts the directory of the image's key path read-only and sets only variables tenantadm reads", () => {
    const keyPath = parseEnv(instructions(finalStage, 'ENV').join(' '))[ENVIRONMENT.keyFile.name];
    expect(keyPath).toBeDefined();
    for (const r of runs) {
      const key = r.env[ENVIRONMENT.keyFile.name] ?? keyPath!;
      expect({ line: r.line, keyVolume: r.volumes.find((v) => v.container === path.posix.dirname(key))?.readOnly }).toEqual({ line: r.line, keyVolume: true });
      for (const [name, value] of Object.entries(r.env)) {
        expect({ name, known: ENV_NAMES.has(name), secret: SECRETISH.test(name) }).toEqual({ name, known: true, secret: false });
        expect({ name, credentialsInUrl: /\/\/[^/]*@/.test(value) }).toEqual({ name, credentialsInUrl: false });
      }
    }
    // A mounted directory must hold the file the image looks for: the README's prose names it.
    const prose = section.replace(/^```[\s\S]*?^```$/gm, '');
    expect(prose).toContain(`\`${path.posix.basename(keyPath!)}\``);
  });
});

const unavailable = standInUnavailable();
if (unavailable) process.stderr.write(`container-recipe.test: runs in the stand-in engine skipped: ${unavailable}\n`);

(unavailable ? describe.skip : describe)("the image's ENTRYPOINT, run as the recipe runs it, against the test database", () => {
  let dbs: Dbs;
  withFreshDatabases((d) => (dbs = d));
  let work: string;
  let image: Image;
  let keyPem: string;
  let publicKey: ReturnType<typeof createPublicKey>;
  const job = () => yaml.safeLoad(jobText) as Job;

  beforeAll(() => {
    work = tmpDir();
    fs.chmodSync(work, 0o755);
    image = buildImage(
      stages,
      path.join(work, 'rootfs'),
      (build, inStage, dest) => {
        const workdir = instructions(build, 'WORKDIR').pop() ?? '/';
        const rel = path.posix.relative(workdir, inStage);
        // The build stage's `npm run bundle` writes dist/tenantadm.cjs; the same script builds it here.
        if (rel !== 'dist/tenantadm.cjs') throw new Error(`COPY --from=${build.name} ${inStage}: the test knows how to produce only dist/tenantadm.cjs`);
        const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/bundle.js'), '--outfile', dest], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`bundle: ${r.stderr}`);
      },
      ROOT,
    );
    // The volumes' mount points, as an engine makes them (outside the image's layers).
    mountPoints(image, [...runs.flatMap((r) => r.volumes.map((v) => v.container)), ...job().spec.template.spec.containers[0]!.volumeMounts.map((m) => m.mountPath)]);
    keyPem = fs.readFileSync(state().keyFile, 'utf8');
    publicKey = createPublicKey(keyPem);
  }, 60_000);

  /** The image's own file layout: nothing but the official image's parts and what the Dockerfile copies. */
  it('holds the copied bundle and no node_modules', () => {
    const files = Object.keys(fileTree(image.root));
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
    const dests = instructions(finalStage, 'COPY').map((c) => parseCopy(c).dest);
    for (const d of dests) expect(files).toContain(d.replace(/^\//, ''));
    expect({ user: image.user, nonRoot: image.uid > 0 && image.gid > 0 }).toEqual({ user: image.user, nonRoot: true });
  });

  /** A host directory standing for a `docker run -v` or a Kubernetes volume, with the files given. */
  function volume(name: string, files: Record<string, { content: string; mode: number; uid: number; gid: number }>): string {
    const dir = path.join(work, 'volumes', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
    for (const [file, f] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, file), f.content);
      fs.chownSync(path.join(dir, file), f.uid, f.gid);
      fs.chmodSync(path.join(dir, file), f.mode);
    }
    return dir;
  }

  /** The test database in place of Mender's: its address and these tests' own database names. */
  function testDatabase(): Record<string, string> {
    return {
      [ENVIRONMENT.mongo.name]: state().uri,
      [ENVIRONMENT.tenantadmDb.name]: dbs.tenantadm,
      [ENVIRONMENT.useradmDb.name]: dbs.useradm,
      [ENVIRONMENT.deviceauthDb.name]: dbs.deviceauth,
      [ENVIRONMENT.auditDb.name]: dbs.audit,
    };
  }

  /** A `docker run` of the README, its key volume a temporary directory, with `args` instead of its own when given. */
  function dockerRun(keyFile: { mode: number; uid: number; gid: number }, args?: string[], r: DockerRun = shellRun!): ContainerRun {
    const keyPath = r.env[ENVIRONMENT.keyFile.name] ?? image.env[ENVIRONMENT.keyFile.name]!;
    const mounts = r.volumes.map((v) => {
      if (v.container !== path.posix.dirname(keyPath)) throw new Error(`volume ${v.host}:${v.container}: the test knows only the key's`);
      return { host: volume(`key-${keyFile.mode.toString(8)}-${keyFile.uid}`, { [path.posix.basename(keyPath)]: { content: keyPem, ...keyFile } }), container: v.container, readOnly: v.readOnly };
    });
    const user = r.user === undefined ? {} : { uid: Number(r.user.split(':')[0]), gid: Number(r.user.split(':')[1] ?? r.user.split(':')[0]) };
    return { mounts, env: { ...r.env, ...testDatabase() }, args: args ?? r.args, readOnlyRoot: r.readOnlyRoot, ...user };
  }

  function ok(r: ReturnType<typeof runContainer>, stderr: string | RegExp = ''): string {
    expect({ code: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: typeof stderr === 'string' ? stderr : expect.stringMatching(stderr) });
    return r.stdout;
  }

  it('as docker run gives it: help by default, tenants created with tokens signed by the mounted key, nothing written in the image', async () => {
    // The key as README says: a file readable by the image's user, mounted read-only.
    const key = { mode: 0o400, uid: image.uid, gid: image.gid };
    const before = fileTree(image.root);

    // No arguments: the image's CMD.
    const help = runContainer(image, { mounts: [], env: {} });
    expect(ok(help)).toContain('set-device-limit');

    const sp = JSON.parse(ok(runContainer(image, dockerRun(key, ['create-tenant', '--name', 'Container SP', '--device-limit', '100'])), LOCAL_AUDIT_NOTICE)) as { id: string; tenant_token: string };
    // The token is signed by the mounted key, read at the path the image's ENV names.
    const [h, c, s] = sp.tenant_token.split('.') as [string, string, string];
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    // Its children in-process (each container run costs a node start); the listing below shows them.
    await runJson(dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    const a = await runJson(dbs, ['create-tenant', '--name', 'Container child A', '--parent', sp.id, '--device-limit', '60', ...kidUser('Container child A')]);
    const b = await runJson(dbs, ['create-tenant', '--name', 'Container child B', '--parent', sp.id, '--device-limit', '40', ...kidUser('Container child B')]);

    // The README's own arguments.
    const listed = ok(runContainer(image, dockerRun(key)));
    for (const t of [sp, a, b]) expect(listed).toContain(t.id);
    // And the Dockerfile header's docker run, if it differs.
    for (const other of runs.filter((r) => r !== shellRun)) expect(ok(runContainer(image, dockerRun(key, undefined, other)))).toContain(sp.id);

    expect([await storedLimit(dbs, sp.id), await storedLimit(dbs, a.id), await storedLimit(dbs, b.id)]).toEqual([100, 60, 40]);
    // Nothing written to the image's filesystem: not in HOME, not in /tmp, not a cache.
    expect(fileTree(image.root)).toEqual(before);
  });

  it('runs as the unprivileged user: a key only root can read is refused with nothing written; one at the README Secret mode and fsGroup is read', async () => {
    const before = await snapshot(dbs);
    const r = runContainer(image, dockerRun({ mode: 0o400, uid: 0, gid: 0 }, ['create-tenant', '--name', 'Unreadable key']));
    const keyPath = shellRun!.env[ENVIRONMENT.keyFile.name] ?? image.env[ENVIRONMENT.keyFile.name]!;
    expect({ code: r.status, stdout: r.stdout }).toEqual({ code: ExitCode.usage, stdout: '' });
    expect(r.stderr).toContain(`cannot read the private key ${keyPath}: EACCES`);
    expect(await snapshot(dbs)).toEqual(before);

    // The README's way for a Job that signs: a Secret file at defaultMode, group-owned by fsGroup.
    const mode = /`defaultMode: (0[0-7]+)`/.exec(section)?.[1];
    const fsGroup = /`fsGroup: (\d+)`/.exec(section)?.[1];
    expect({ mode, fsGroup }).toEqual({ mode: expect.any(String), fsGroup: expect.any(String) });
    const signed = runContainer(image, dockerRun({ mode: parseInt(mode!, 8), uid: 0, gid: Number(fsGroup) }, ['create-tenant', '--name', 'Secret volume key', '--id-only']));
    expect(ok(signed, LOCAL_AUDIT_NOTICE)).toMatch(/^[0-9a-f]{24}\n$/);
  });

  it("as the Kubernetes Job gives it: the plan from the ConfigMap's mount, no signing key, a read-only root; limits moved in Mender's data", async () => {
    const spec = job().spec.template.spec;
    const c = spec.containers[0]!;
    const sc = { ...spec.securityContext, ...c.securityContext };
    const redis = state().redis;
    if (!redis) throw new Error('redis-server is not running (scripts/setup.sh installs it)');

    // An SP with two children, 60 and 40 of its 100; the plan moves 30 from A to B.
    const sp = await runJson(dbs, ['create-tenant', '--name', 'Job SP', '--device-limit', '100']);
    await runJson(dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    const a = await runJson(dbs, ['create-tenant', '--name', 'Job child A', '--parent', sp.id, '--device-limit', '60', ...kidUser('Job child A')]);
    const b = await runJson(dbs, ['create-tenant', '--name', 'Job child B', '--parent', sp.id, '--device-limit', '40', ...kidUser('Job child B')]);
    const plan = JSON.stringify({ limits: [{ id: b.id, limit: 70 }, { id: a.id, limit: 30 }] });

    // The volumes as the kubelet lays them: ConfigMap files root-owned at defaultMode (0644 unless given).
    const { configMaps, secrets } = kubectlCreated(jobText);
    const gid = sc.runAsGroup ?? image.gid;
    if (sc.fsGroup !== undefined && sc.fsGroup !== gid) throw new Error('fsGroup differs from runAsGroup: the stand-in gives the process one group only');
    const mounts = c.volumeMounts.map((m) => {
      const v = spec.volumes.find((x) => x.name === m.name)!;
      const files: Parameters<typeof volume>[1] = {};
      if (v.configMap) for (const k of configMaps[v.configMap.name]!) files[k] = { content: plan, mode: v.configMap.defaultMode ?? 0o644, uid: 0, gid: 0 };
      if (v.secret) {
        throw new Error(`volume ${m.name}: Secret ${v.secret.secretName} mounted, but the test knows no Secret file the Job's command reads`);
      }
      return { host: volume(`job-${m.name}`, files), container: m.mountPath, readOnly: !!m.readOnly };
    });

    // The Job's variables; Mender's MongoDB and Redis addresses stand for the test's. The MongoDB
    // credentials (secretKeyRef) are left out: the test database has no users.
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    Object.assign(env, testDatabase(), { [ENVIRONMENT.redisUrl.name]: redis.url });
    const jobRun: ContainerRun = { mounts, env, args: c.args, readOnlyRoot: !!sc.readOnlyRootFilesystem, uid: sc.runAsUser, gid };

    // The README's check first: the same Job with --dry-run writes nothing.
    const dryArgs = /args: (\[[^\]]*"--dry-run"\])/.exec(section)?.[1];
    expect(dryArgs && JSON.parse(dryArgs.replace(/\s+/g, ' '))).toEqual([...c.args, '--dry-run']);
    const before = await snapshot(dbs);
    const dry = JSON.parse(ok(runContainer(image, { ...jobRun, args: [...c.args, '--dry-run'] }), /^tenantadm: warning: dry run: 2 limit\(s\) would change; nothing was written\n$/)) as unknown[];
    expect(dry).toHaveLength(2);
    expect(await snapshot(dbs)).toEqual(before);

    const start = new Date();
    // No signing key in the Job's container, and the plan still applies.
    expect(fs.existsSync(path.join(image.root, image.env[ENVIRONMENT.keyFile.name]!))).toBe(false);
    const applied = JSON.parse(ok(runContainer(image, jobRun), LOCAL_AUDIT_NOTICE)) as { id: string; before: number; after: number; cache: string }[];
    expect(applied.map((x) => [x.id, x.before, x.after, x.cache]).sort()).toEqual(
      [
        [a.id, 60, 30, 'invalidated'],
        [b.id, 40, 70, 'invalidated'],
      ].sort(),
    );
    // What Mender's device-auth reads, and who the audit log says did it.
    expect([await storedLimit(dbs, sp.id), await storedLimit(dbs, a.id), await storedLimit(dbs, b.id)]).toEqual([100, 30, 70]);
    const entries = await (await client()).db(dbs.audit).collection('tenantadm_audit').find({ time: { $gte: start } }).toArray();
    expect([...new Set(entries.map((e) => e.object?.id))].sort()).toEqual([a.id, b.id].sort());
    expect([...new Set(entries.map((e) => e.actor?.id))]).toEqual([env[ENVIRONMENT.actor.name]]);
  });

  it('the Job refuses a wrong plan with an exit code its podFailurePolicy fails on at once', async () => {
    const spec = job().spec.template.spec;
    const c = spec.containers[0]!;
    const failOn = job().spec.podFailurePolicy?.rules.flatMap((r) => r.onExitCodes?.values ?? []) ?? [];
    const sp = await runJson(dbs, ['create-tenant', '--name', 'Over SP', '--device-limit', '10']);
    await runJson(dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    const kid = await runJson(dbs, ['create-tenant', '--name', 'Over child', '--parent', sp.id, '--device-limit', '5', ...kidUser('Over child')]);
    const planArg = c.args.find((x) => x.startsWith('/'))!;
    const planDir = volume('over-plan', { [path.posix.basename(planArg)]: { content: JSON.stringify({ limits: [{ id: kid.id, limit: 50 }] }), mode: 0o644, uid: 0, gid: 0 } });
    const planMount = c.volumeMounts.find((m) => path.posix.dirname(planArg) === m.mountPath)!;
    const before = await snapshot(dbs);
    const r = runContainer(image, { mounts: [{ host: planDir, container: planMount.mountPath, readOnly: true }], env: testDatabase(), args: c.args, readOnlyRoot: true, uid: spec.securityContext?.runAsUser });
    expect({ code: r.status, stdout: r.stdout }).toEqual({ code: ExitCode.rule, stdout: '' });
    expect(failOn).toContain(r.status);
    expect(await snapshot(dbs)).toEqual(before);
  });
});
