#!/usr/bin/env node
// Native TensorFlow for the engine: builds the N-API addon of @tensorflow/tfjs-node (or -gpu)
// against the TensorFlow C library shipped inside the PyPI wheel, so no download from Google's
// storage is needed. Runs as the root package's postinstall (after every `npm ci`, which wipes
// node_modules) and never fails the install: when it cannot build, it says why in
// node_modules/.lethe/tensorflow.json and the engine runs on wasm. docs/adr/0007-native-tensorflow.md
// records the decision; README.md ("Native TensorFlow") how to drive it.
//
//   LETHE_TF_VARIANT  cpu (default) | gpu | none      which package to build, or skip
//   LETHE_TF_CACHE    wheels and built libraries      default ~/.cache/lethe/tensorflow
//   LETHE_TF_PYTHON   python with pip                 default python3
//   LETHE_TF_REQUIRED 1: exit 1 when the build fails  (default: report and exit 0)
//
// Idempotent: the unpacked libraries and the built addon are kept in the cache under a key of
// (variant, TensorFlow version, package version, N-API version, platform); a re-run after `npm ci`
// only links them back into the package and checks that the binding loads (a few seconds).
'use strict';
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TF_VERSION = '2.21.0';
const VARIANTS = {
  cpu: { pkg: '@tensorflow/tfjs-node', wheel: 'tensorflow-cpu' },
  gpu: { pkg: '@tensorflow/tfjs-node-gpu', wheel: 'tensorflow' },
};
/** Wheel members the addon needs: the two shared libraries and the C API headers. */
const LIB_MEMBERS = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'];
const HEADER_PREFIXES = [
  'tensorflow/include/tensorflow/c/',
  'tensorflow/include/tensorflow/core/platform/ctstring',
  'tensorflow/include/tsl/platform/ctstring',
  'tensorflow/include/xla/tsl/c/',
];
/** Names the addon links (-ltensorflow -ltensorflow_framework) and the 2.9.1 names it was made for. */
const LIB_LINKS = {
  'libtensorflow.so': 'libtensorflow_cc.so.2',
  'libtensorflow.so.2': 'libtensorflow_cc.so.2',
  'libtensorflow.so.2.9.1': 'libtensorflow_cc.so.2',
  'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
  'libtensorflow_framework.so.2.9.1': 'libtensorflow_framework.so.2',
};
const STAMP = '.lethe-build.json';
const PLATFORMS = ['manylinux_2_27_x86_64', 'manylinux_2_17_x86_64', 'manylinux2014_x86_64'];

const root = path.resolve(__dirname, '..');
const statusFile = path.join(root, 'node_modules', '.lethe', 'tensorflow.json');
const log = (msg) => console.log(`[tensorflow] ${msg}`);

/** Thrown for a reason to skip (not a bug): it ends up in the status file and the worker's /health. */
class Skip extends Error {}

const parseVariant = (raw) => {
  const v = (raw ?? 'cpu').trim().toLowerCase() || 'cpu';
  if (v === 'none' || v in VARIANTS) return v;
  throw new Skip(`LETHE_TF_VARIANT must be cpu|gpu|none, got "${raw}"`);
};

const cacheRoot = (env = process.env) =>
  env.LETHE_TF_CACHE ||
  path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'lethe', 'tensorflow');

/** N-API version node-pre-gyp builds for: the package's highest one this Node supports. */
const napiBuildVersion = (pkgJson, nodeNapi = Number(process.versions.napi)) => {
  const ok = pkgJson.binary.napi_versions.filter((v) => v <= nodeNapi);
  if (ok.length === 0) throw new Skip(`Node's N-API ${nodeNapi} is older than the addon needs`);
  return Math.max(...ok);
};

const buildKey = ({
  variant,
  pkgVersion,
  napi,
  platform = process.platform,
  arch = process.arch,
}) => `${variant}-tf${TF_VERSION}-tfjs${pkgVersion}-napi${napi}-${platform}-${arch}`;

const run = (cmd, args, opts = {}) => {
  const r = cp.spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Skip(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-8).join(' | ');
    throw new Skip(
      `${path.basename(cmd)} ${args.slice(0, 3).join(' ')} … exited ${r.status}: ${tail}`,
    );
  }
  return r.stdout;
};

const which = (name) =>
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((d) => d && fs.existsSync(path.join(d, name)));

const python = () => {
  const py = process.env.LETHE_TF_PYTHON || 'python3';
  const r = cp.spawnSync(py, ['-m', 'pip', '--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Skip(`no ${py} with pip (needed to fetch the TensorFlow wheel from PyPI)`);
  return py;
};

/** `pip download` one requirement into dir (pip reuses a file already there). Returns its path. */
const downloadWheel = (py, requirement, dir) => {
  fs.mkdirSync(dir, { recursive: true });
  const stem = requirement
    .split(/[=<>!~;\s]/)[0]
    .replace(/-/g, '_')
    .toLowerCase();
  const exact = requirement.match(/==([\w.]+)$/)?.[1];
  const have = () =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.whl') && f.toLowerCase().startsWith(`${stem}-`))
      .filter((f) => !exact || f.split('-')[1] === exact)
      .sort()
      .pop();
  if (exact && have()) return path.join(dir, have());
  log(`pip download ${requirement}`);
  run(
    py,
    [
      ...[
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
      ],
      // pip matches these tags literally (no older-manylinux expansion): the CUDA wheels are
      // tagged manylinux2014 / manylinux_2_17, the TensorFlow wheels manylinux_2_27.
      ...['--python-version', '3.11', ...PLATFORMS.flatMap((p) => ['--platform', p])],
      ...['-d', dir, requirement],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const file = have();
  if (!file) throw new Skip(`pip download ${requirement}: no wheel in ${dir}`);
  return path.join(dir, file);
};

/** Unzips members (exact names, or prefixes ending in '/' or a partial name) with Python's zipfile. */
const unzip = (py, wheel, dest, { exact = [], prefixes = [], strip = '', exclude = [] }) => {
  const code = `
import json, os, shutil, sys, zipfile
wheel, dest, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
n = 0
with zipfile.ZipFile(wheel) as z:
    for m in z.namelist():
        if m.endswith('/'): continue
        if not (m in spec['exact'] or any(m.startswith(p) for p in spec['prefixes'])): continue
        if any(x in m for x in spec['exclude']): continue
        rel = m[len(spec['strip']):] if m.startswith(spec['strip']) else m
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(m) as src, open(out, 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)
        mode = (z.getinfo(m).external_attr >> 16) & 0o777
        if mode: os.chmod(out, mode)
        n += 1
print(n)
`;
  const n = Number(
    run(py, ['-c', code, wheel, dest, JSON.stringify({ exact, prefixes, strip, exclude })]).trim(),
  );
  if (n === 0) throw new Skip(`${path.basename(wheel)}: none of the expected members found`);
  return n;
};

/** The `and-cuda` extra of the tensorflow wheel: the nvidia-*-cu12 runtime wheels it names. */
const cudaRequirements = (py, wheel) => {
  const code = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(m for m in z.namelist() if m.endswith('.dist-info/METADATA'))
    for line in z.read(meta).decode().splitlines():
        if line.startswith('Requires-Dist:') and 'extra == "and-cuda"' in line:
            print(line.split(':', 1)[1].split(';')[0].strip().replace(' ', ''))
`;
  return run(py, ['-c', code, wheel]).trim().split('\n').filter(Boolean);
};

/** Unpacks the libraries (and, for gpu, the CUDA runtime) into `${dir}/deps`. */
const unpackDeps = (py, variant, wheelDir, dir) => {
  const deps = path.join(dir, 'deps');
  const wheel = downloadWheel(py, `${VARIANTS[variant].wheel}==${TF_VERSION}`, wheelDir);
  log(`unpacking ${path.basename(wheel)}`);
  unzip(py, wheel, path.join(deps, 'lib'), { exact: LIB_MEMBERS, strip: 'tensorflow/' });
  unzip(py, wheel, path.join(deps, 'include'), {
    prefixes: HEADER_PREFIXES,
    strip: 'tensorflow/include/',
  });
  for (const [link, target] of Object.entries(LIB_LINKS)) {
    fs.symlinkSync(target, path.join(deps, 'lib', link));
  }
  if (variant === 'gpu') {
    // TensorFlow dlopens CUDA from $ORIGIN/../nvidia/*/lib: deps/lib → deps/nvidia, as in the
    // wheel's own site-packages layout (tensorflow/ beside nvidia/).
    for (const req of cudaRequirements(py, wheel)) {
      const w = downloadWheel(py, req, wheelDir);
      log(`unpacking ${path.basename(w)}`);
      unzip(py, w, deps, { prefixes: ['nvidia/'], exclude: ['/include/'] });
    }
  }
  return deps;
};

/**
 * Points `${pkgDir}/deps` at the cached libraries (a symlink: npm ci wipes node_modules). Swapped
 * in by rename, so a process loading the binding meanwhile never sees it missing.
 */
const linkDeps = (pkgDir, deps) => {
  const link = path.join(pkgDir, 'deps');
  try {
    if (fs.readlinkSync(link) === deps) return;
  } catch {
    // not a symlink (absent, or a directory left by another install): replaced below
  }
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(deps, tmp, 'dir');
  if (fs.existsSync(link) && !fs.lstatSync(link).isSymbolicLink()) {
    fs.rmSync(link, { recursive: true, force: true });
  }
  fs.renameSync(tmp, link);
};

/** Copies by rename: a loaded addon is never overwritten in place (its mapping would break). */
const copyAtomic = (from, to) => {
  const tmp = `${to}.tmp-${process.pid}`;
  fs.copyFileSync(from, tmp);
  fs.renameSync(tmp, to);
};

const buildAddon = (pkgDir) => {
  for (const tool of ['make', 'c++'])
    if (!which(tool)) throw new Skip(`no \`${tool}\` on PATH (needed to build the N-API addon)`);
  const preGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [pkgDir] });
  // Node's own headers when installed beside it (/usr/include/node): node-gyp then downloads none.
  const prefix = path.dirname(path.dirname(process.execPath));
  const nodedir = fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))
    ? [`--nodedir=${prefix}`]
    : [];
  log(`building the addon in ${path.relative(root, pkgDir)} (node-pre-gyp --build-from-source)`);
  run(process.execPath, [preGyp, 'install', '--build-from-source', ...nodedir], {
    cwd: pkgDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
};

/** Loads the binding in a fresh Node and reads the backend and TensorFlow version back. */
const loadCheck = (pkg) => {
  const code = `const tf = require(${JSON.stringify(pkg)});
process.stdout.write(JSON.stringify({ backend: tf.getBackend(), tensorflow: tf.backend().binding.TF_Version }));`;
  const out = run(process.execPath, ['-e', code], {
    cwd: root,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    timeout: 180_000,
  });
  const r = JSON.parse(out.trim().split('\n').pop());
  if (r.backend !== 'tensorflow') throw new Skip(`${pkg} loaded but the backend is ${r.backend}`);
  return r.tensorflow;
};

const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

const writeStatus = (status) => {
  fs.mkdirSync(path.dirname(statusFile), { recursive: true });
  fs.writeFileSync(statusFile, JSON.stringify(status, null, 2) + '\n');
};

const install = (variant) => {
  const { pkg } = VARIANTS[variant];
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Skip(
      `the wheel route covers linux-x64 only (this is ${process.platform}-${process.arch})`,
    );
  let pkgDir;
  try {
    pkgDir = path.dirname(require.resolve(`${pkg}/package.json`, { paths: [root] }));
  } catch {
    throw new Skip(`${pkg} is not installed (an optional dependency: --omit=optional drops it)`);
  }
  const pkgJson = readJson(path.join(pkgDir, 'package.json'));
  const napi = napiBuildVersion(pkgJson);
  const addon = path.join(pkgDir, 'lib', `napi-v${napi}`, 'tfjs_binding.node');
  const depsDir = path.join(pkgDir, 'deps');

  // The package's own installer ran (npm approved its script and Google's storage answered):
  // its addon and libtensorflow are used as they are.
  const ours = fs.existsSync(depsDir) && fs.lstatSync(depsDir).isSymbolicLink();
  if (fs.existsSync(addon) && fs.existsSync(depsDir) && !ours) {
    return { source: 'package installer (left unchanged)', tensorflow: loadCheck(pkg), pkg };
  }

  const key = buildKey({ variant, pkgVersion: pkgJson.version, napi });
  const cache = cacheRoot();
  const dir = path.join(cache, key);
  const cachedAddon = path.join(dir, 'tfjs_binding.node');
  if (!fs.existsSync(path.join(dir, STAMP))) {
    const py = python();
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    try {
      unpackDeps(py, variant, path.join(cache, 'wheels'), tmp);
      const stamp = { key, tensorflowWheel: `${VARIANTS[variant].wheel}==${TF_VERSION}` };
      fs.writeFileSync(path.join(tmp, STAMP), JSON.stringify(stamp, null, 2) + '\n');
      fs.renameSync(tmp, dir); // atomic; another install that got there first wins
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(path.join(dir, STAMP))) throw e;
    }
  }
  linkDeps(pkgDir, path.join(dir, 'deps'));
  fs.mkdirSync(path.dirname(addon), { recursive: true });
  if (fs.existsSync(cachedAddon)) {
    const same =
      fs.existsSync(addon) && fs.readFileSync(addon).equals(fs.readFileSync(cachedAddon));
    if (!same) copyAtomic(cachedAddon, addon);
  } else {
    buildAddon(pkgDir);
    copyAtomic(addon, cachedAddon);
  }
  return {
    source: `built from the ${VARIANTS[variant].wheel} wheel`,
    tensorflow: loadCheck(pkg),
    pkg,
    cache: dir,
  };
};

const main = () => {
  const started = Date.now();
  const base = { at: new Date().toISOString(), tensorflowWheelVersion: TF_VERSION };
  let variant;
  try {
    variant = parseVariant(process.env.LETHE_TF_VARIANT);
    if (variant === 'none') throw new Skip('skipped: LETHE_TF_VARIANT=none');
    const r = install(variant);
    const ms = Date.now() - started;
    writeStatus({
      ...base,
      ok: true,
      variant,
      package: r.pkg,
      tensorflow: r.tensorflow,
      source: r.source,
      ms,
    });
    log(`${r.pkg} ready: TensorFlow ${r.tensorflow}, ${r.source} (${(ms / 1000).toFixed(1)} s)`);
    return 0;
  } catch (e) {
    const reason = e instanceof Skip ? e.message : `unexpected: ${e.stack ?? e}`;
    writeStatus({ ...base, ok: false, variant, package: VARIANTS[variant]?.pkg, reason });
    log(`native backend not built, the engine will use wasm: ${reason}`);
    return process.env.LETHE_TF_REQUIRED === '1' ? 1 : 0;
  }
};

module.exports = {
  parseVariant,
  cacheRoot,
  napiBuildVersion,
  buildKey,
  Skip,
  TF_VERSION,
  VARIANTS,
};

if (require.main === module) process.exitCode = main();
