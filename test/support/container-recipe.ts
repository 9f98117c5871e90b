/**
 * The container recipe of the repository (Dockerfile, the `docker run` examples and the
 * Kubernetes Job of docs/running-next-to-mender.md) read as data, and a stand-in for a container
 * engine: the Dockerfile's last stage laid out as a root filesystem in a temporary directory (the
 * official Node image's few parts that matter, then the stage's COPY, ENV, USER, WORKDIR), and its
 * ENTRYPOINT run there in a mount namespace, chrooted, as the image's unprivileged user, with the
 * volumes bind-mounted read-only.
 * Needs root (it mounts and changes user), as an engine does.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// ---------------------------------------------------------------- Dockerfile

export interface Instruction {
  op: string;
  /** The rest of the line, continuation lines joined. */
  rest: string;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile: comments and blank lines dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || (!pending && !line.trim())) continue;
    if (line.endsWith('\\')) pending += line.slice(0, -1) + ' ';
    else {
      logical.push(pending + line);
      pending = '';
    }
  }
  if (pending) throw new Error(`Dockerfile: a continuation line ends the file: ${pending}`);
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(l);
    if (!m) throw new Error(`Dockerfile: not an instruction: ${l}`);
    const op = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!f) throw new Error(`Dockerfile: FROM ${rest}`);
      stages.push({ image: f[1]!, name: f[2], instructions: [] });
    } else {
      if (!stages.length) throw new Error(`Dockerfile: ${op} before FROM`);
      stages[stages.length - 1]!.instructions.push({ op, rest });
    }
  }
  return stages;
}

/** ENV in both forms: `K=V K2="V 2"` and the legacy `K V`. */
export function parseEnv(rest: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
    const m = /^(\S+)\s+(.*)$/.exec(rest);
    if (!m) throw new Error(`ENV ${rest}`);
    return { [m[1]!]: m[2]! };
  }
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)\s*/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < rest.length && (m = re.exec(rest))) {
    const v = m[2]!;
    out[m[1]!] = v.startsWith('"') ? (JSON.parse(v) as string) : v.startsWith("'") ? v.slice(1, -1) : v;
  }
  if (re.lastIndex < rest.length) throw new Error(`ENV: cannot read ${rest.slice(re.lastIndex)}`);
  return out;
}

export interface Copy {
  from?: string;
  chown?: string;
  sources: string[];
  dest: string;
}

export function parseCopy(rest: string): Copy {
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  const c: Copy = { sources: [], dest: '' };
  const args = [];
  for (const w of words) {
    const flag = /^--(from|chown|chmod|link|parents)(?:=(.*))?$/.exec(w);
    if (flag) {
      if (flag[1] === 'from') c.from = flag[2];
      else if (flag[1] === 'chown') c.chown = flag[2];
      else throw new Error(`COPY --${flag[1]}: the container recipe test does not model it`);
    } else args.push(w);
  }
  if (args.length < 2) throw new Error(`COPY ${rest}: needs a source and a destination`);
  c.dest = args.pop()!;
  c.sources = args;
  return c;
}

/** ENTRYPOINT/CMD in exec form (a JSON array): the shell form would put /bin/sh between the signal and node. */
export function execForm(op: string, rest: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(rest);
  } catch {
    throw new Error(`${op} ${rest}: not the exec form (a JSON array of strings)`);
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${op} ${rest}: not a JSON array of strings`);
  return v;
}

// ---------------------------------------------------------------- docs/running-next-to-mender.md

/** The fenced blocks of a Markdown text with their language. */
export function fencedBlocks(markdown: string): { lang: string; body: string }[] {
  const out: { lang: string; body: string }[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(markdown))) out.push({ lang: m[1]!, body: m[2]! });
  return out;
}

/** Shell words of one command: `\` continuations joined, simple quotes honoured, no expansion. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  const re = /\s*(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+))/y;
  const text = command.replace(/\\\n/g, ' ').trim();
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

export interface Volume {
  host: string;
  container: string;
  readOnly: boolean;
}

export interface DockerRun {
  line: string;
  volumes: Volume[];
  env: Record<string, string>;
  readOnlyRoot: boolean;
  user?: string;
  image: string;
  args: string[];
}

/** Every `docker run` in a text (shell lines and comments alike), its options read as docker reads them. */
export function dockerRuns(text: string): DockerRun[] {
  const joined = text.replace(/\\\n/g, ' ');
  const out: DockerRun[] = [];
  for (const raw of joined.split('\n')) {
    const at = raw.indexOf('docker run ');
    if (at < 0) continue;
    const line = raw.slice(at).replace(/\s+#.*$/, '');
    const w = shellWords(line).slice(2);
    const r: DockerRun = { line, volumes: [], env: {}, readOnlyRoot: false, image: '', args: [] };
    let i = 0;
    for (; i < w.length && w[i]!.startsWith('-'); i++) {
      const opt = w[i]!;
      const value = (): string => {
        const v = w[++i];
        if (v === undefined) throw new Error(`${line}: ${opt} needs a value`);
        return v;
      };
      if (opt === '--rm' || opt === '-i' || opt === '-t' || opt === '-it') continue;
      else if (opt === '--read-only') r.readOnlyRoot = true;
      else if (opt === '--network' || opt === '--name') value();
      else if (opt === '-u' || opt === '--user') r.user = value();
      else if (opt === '-v' || opt === '--volume') {
        const [host, container, mode, ...more] = value().split(':');
        if (!host || !container || more.length || (mode && mode !== 'ro' && mode !== 'rw')) throw new Error(`${line}: volume ${host}:${container}:${mode}`);
        r.volumes.push({ host, container, readOnly: mode === 'ro' });
      } else if (opt === '-e' || opt === '--env') {
        const v = value();
        const eq = v.indexOf('=');
        if (eq < 1) throw new Error(`${line}: -e ${v} takes the value from the caller's environment; the test needs it written out`);
        r.env[v.slice(0, eq)] = v.slice(eq + 1);
      } else throw new Error(`${line}: docker run option ${opt} is not modelled by the container recipe test`);
    }
    r.image = w[i] ?? '';
    r.args = w.slice(i + 1);
    out.push(r);
  }
  return out;
}

/** `kubectl create configmap|secret generic NAME --from-file=[KEY=]PATH --from-literal=KEY=V` in the comments: the keys each object holds. */
export function kubectlCreated(text: string): { configMaps: Record<string, string[]>; secrets: Record<string, string[]> } {
  const configMaps: Record<string, string[]> = {};
  const secrets: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const m = /kubectl\s.*?\bcreate\s+(configmap|secret\s+generic)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const keys = shellWords(m[3]!.replace(/\s+#.*$/, '')).flatMap((w) => {
      const f = /^--from-(file|literal)=(.*)$/.exec(w);
      if (!f) return [];
      const eq = f[2]!.indexOf('=');
      if (f[1] === 'literal') return [f[2]!.slice(0, eq)];
      return [eq > 0 ? f[2]!.slice(0, eq) : path.basename(f[2]!)];
    });
    (m[1] === 'configmap' ? configMaps : secrets)[m[2]!] = keys;
  }
  return { configMaps, secrets };
}

// ---------------------------------------------------------------- the stand-in engine

/**
 * What the official Node image (Debian slim) holds that a run can notice: node on PATH at
 * /usr/local/bin, its `node` user (uid and gid 1000, home /home/node owned by it), /tmp, and
 * this PATH. Debian's own files are left out: the bundle needs none of them.
 */
export const OFFICIAL_NODE_IMAGE = {
  node: '/usr/local/bin/node',
  users: { root: { uid: 0, gid: 0, home: '/root' }, node: { uid: 1000, gid: 1000, home: '/home/node' } } as Record<string, { uid: number; gid: number; home: string }>,
  path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
};

export interface Image {
  root: string;
  env: Record<string, string>;
  user: string;
  uid: number;
  gid: number;
  home: string;
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  /** Placeholders of the host files bind-mounted in (node and the libraries it links), not the image's content. */
  binds: { host: string; inImage: string }[];
}

function touch(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '');
}

/** The shared libraries a host binary loads (ldd), with the loader. */
function sharedLibraries(binary: string): string[] {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ldd ${binary}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter((p): p is string => !!p);
}

/**
 * Lay out the Dockerfile's last stage in `root`: the official image's parts above, then its
 * instructions in order. A COPY from the build stage maps the stage's path to what the repository
 * builds there (`produce`); anything the test cannot reproduce is an error, never skipped.
 */
export function buildImage(stages: Stage[], root: string, produce: (buildStage: Stage, pathInStage: string, dest: string) => void, context: string): Image {
  const last = stages[stages.length - 1]!;
  const base = /^(?:docker\.io\/)?(?:library\/)?node:/.exec(last.image);
  if (!base) throw new Error(`the last stage is FROM ${last.image}: the test models only the official node image`);
  fs.mkdirSync(root, { recursive: true });
  fs.chmodSync(root, 0o755);
  const binds: Image['binds'] = [{ host: process.execPath, inImage: OFFICIAL_NODE_IMAGE.node }];
  for (const lib of sharedLibraries(process.execPath)) binds.push({ host: lib, inImage: lib });
  for (const b of binds) touch(path.join(root, b.inImage));
  for (const d of ['proc', 'dev', 'etc', 'root']) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const dev of ['null', 'zero', 'random', 'urandom']) {
    touch(path.join(root, 'dev', dev));
    binds.push({ host: `/dev/${dev}`, inImage: `/dev/${dev}` });
  }
  fs.mkdirSync(path.join(root, 'tmp'));
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  const users = OFFICIAL_NODE_IMAGE.users;
  fs.writeFileSync(path.join(root, 'etc/passwd'), Object.entries(users).map(([n, u]) => `${n}:x:${u.uid}:${u.gid}:${n}:${u.home}:/bin/sh\n`).join(''));
  fs.writeFileSync(path.join(root, 'etc/group'), Object.entries(users).map(([n, u]) => `${n}:x:${u.gid}:\n`).join(''));
  fs.writeFileSync(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n::1 localhost\n');
  fs.mkdirSync(path.join(root, 'home/node'), { recursive: true });
  fs.chownSync(path.join(root, 'home/node'), users.node!.uid, users.node!.gid);
  fs.chmodSync(path.join(root, 'root'), 0o700);

  const image: Image = { root, env: { PATH: OFFICIAL_NODE_IMAGE.path }, user: 'root', uid: 0, gid: 0, home: '/root', workdir: '/', entrypoint: ['docker-entrypoint.sh'], cmd: ['node'], binds };
  const inRoot = (p: string) => path.join(root, path.posix.resolve(image.workdir, p));
  for (const { op, rest } of last.instructions) {
    if (op === 'COPY') {
      const c = parseCopy(rest);
      if (c.chown) throw new Error('COPY --chown: not modelled (files are root-owned, as COPY leaves them)');
      for (const src of c.sources) {
        const dest = c.dest.endsWith('/') || c.sources.length > 1 ? path.join(inRoot(c.dest), path.basename(src)) : inRoot(c.dest);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        if (c.from) {
          const stage = stages.find((s) => s.name === c.from);
          if (!stage) throw new Error(`COPY --from=${c.from}: no such stage`);
          produce(stage, src, dest);
        } else fs.cpSync(path.join(context, src), dest, { recursive: true });
        fs.chmodSync(dest, 0o644);
      }
    } else if (op === 'ENV') Object.assign(image.env, parseEnv(rest));
    else if (op === 'USER') {
      const [u, g] = rest.split(':');
      const known = users[u!];
      if (known) Object.assign(image, { user: u, uid: known.uid, gid: g ? Number(g) : known.gid, home: known.home });
      else if (/^\d+$/.test(u!)) Object.assign(image, { user: u, uid: Number(u), gid: g ? Number(g) : Number(u), home: '/' });
      else throw new Error(`USER ${rest}: the official node image has no such user`);
      if (g && !/^\d+$/.test(g)) throw new Error(`USER ${rest}: only a numeric group is modelled`);
    } else if (op === 'WORKDIR') {
      image.workdir = path.posix.resolve(image.workdir, rest);
      fs.mkdirSync(path.join(root, image.workdir), { recursive: true });
    } else if (op === 'ENTRYPOINT') {
      image.entrypoint = execForm(op, rest);
      image.cmd = [];
    } else if (op === 'CMD') image.cmd = execForm(op, rest);
    else if (op !== 'LABEL') throw new Error(`${op} in the last stage: the container recipe test cannot reproduce it`);
  }
  return image;
}

export interface Mount {
  host: string;
  container: string;
  readOnly: boolean;
}

export interface ContainerRun {
  mounts: Mount[];
  env: Record<string, string>;
  /** Replace the image's CMD, as `docker run IMAGE ARGS` and a Job's `args` do. */
  args?: string[];
  readOnlyRoot?: boolean;
  uid?: number;
  gid?: number;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Run the image's ENTRYPOINT (+ CMD or args) as an engine would: a private mount namespace,
 * host files bind-mounted read-only at their placeholders, /proc, the volumes, the root made
 * read-only when asked; then chroot, chdir to WORKDIR, drop to the user, and exec with exactly
 * the image's and the run's environment (plus HOME and HOSTNAME, as docker adds them).
 */
export function runContainer(image: Image, run: ContainerRun): SpawnSyncReturns<string> {
  const r = image.root;
  const lines = ['set -eu', `mount --bind ${shq(r)} ${shq(r)}`];
  const bindRo = (host: string, at: string) => {
    lines.push(`mount --bind ${shq(host)} ${shq(path.join(r, at))}`, `mount -o remount,bind,ro ${shq(path.join(r, at))}`);
  };
  for (const b of image.binds) bindRo(b.host, b.inImage);
  lines.push(`mount -t proc proc ${shq(path.join(r, 'proc'))}`);
  for (const m of run.mounts) {
    const at = path.join(r, m.container);
    // The engine creates a missing mount point; as root in the stand-in it is a directory made before the snapshot (see mountPoints).
    if (!fs.existsSync(at)) throw new Error(`mount point ${m.container} missing: call mountPoints() before taking the image's snapshot`);
    lines.push(`mount --bind ${shq(m.host)} ${shq(at)}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${shq(at)}`);
  }
  if (run.readOnlyRoot) lines.push(`mount -o remount,bind,ro ${shq(r)}`);
  const uid = run.uid ?? image.uid;
  const gid = run.gid ?? image.gid;
  lines.push(`exec unshare --root=${shq(r)} --wd=${shq(image.workdir)} --setuid ${uid} --setgid ${gid} -- "$@"`);
  const argv = [...image.entrypoint, ...(run.args ?? image.cmd)];
  const env = { PATH: image.env.PATH ?? OFFICIAL_NODE_IMAGE.path, HOSTNAME: 'tenantadm-test', HOME: image.home, ...image.env, ...run.env };
  const res = spawnSync('/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', lines.join('\n'), 'container', ...argv], { encoding: 'utf8', env, timeout: 60_000 });
  if (res.error) throw res.error;
  return res;
}

/** Create the mount points of the volumes in the image (an engine makes them when missing). */
export function mountPoints(image: Image, containers: string[]): void {
  for (const c of containers) fs.mkdirSync(path.join(image.root, c), { recursive: true });
}

/** Every path in the image's root with its type, mode, owner, size and mtime: a write shows as a difference. */
export function fileTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      out[path.relative(root, p)] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs}`;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

/** Whether this process can stand in for an engine: root, and unshare can make a mount namespace. */
export function standInUnavailable(): string {
  if (process.getuid?.() !== 0) return 'not root: the stand-in engine mounts and changes user';
  const r = spawnSync('/usr/bin/unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `unshare --mount failed: ${r.error?.message ?? r.stderr.trim()}`;
  return '';
}
