#!/usr/bin/env node
// Builds LossLab's optional native kernels (main/engine/backends/native/*.c → build/Release/
// losslab_kernels.node) with node-gyp, which npm ships and points at Node's own headers.
// They only make training faster: results are bit-identical without them. So a machine with no
// C compiler still installs: this prints why and exits 0, and training uses the wasm kernels.
// It rebuilds only when the sources, binding.gyp or the Node version changed.
// `node scripts/build-native.mjs --force` rebuilds anyway; `--strict` fails instead of warning.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = path.join(root, 'main', 'engine', 'backends', 'native');
const ADDON = path.join(root, 'build', 'Release', 'losslab_kernels.node');
const STAMP = path.join(root, 'build', '.native-inputs');
const force = process.argv.includes('--force');
const strict = process.argv.includes('--strict');

function inputsHash() {
  const hash = createHash('sha256');
  hash.update(`${process.version} ${process.platform} ${process.arch}\0`);
  const files = [path.join(root, 'binding.gyp'), ...readdirSync(SOURCES).sort().map((f) => path.join(SOURCES, f))];
  for (const file of files) hash.update(`${path.relative(root, file)}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** npm's own node-gyp (npm sets npm_config_node_gyp for scripts); otherwise the one beside this npm. */
function nodeGypScript() {
  const candidates = [process.env.npm_config_node_gyp];
  const npmCli = process.env.npm_execpath;
  if (npmCli) candidates.push(path.join(path.dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package here
  }
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

function giveUp(why) {
  const message = `losslab: native kernels not built (${why}). Training still works and gives the same numbers, on the slower wasm kernels; install a C compiler (Debian: build-essential python3) and run \`npm run build:native\` to build them.`;
  process.stderr.write(`${message}\n`);
  process.exit(strict ? 1 : 0);
}

const current = inputsHash();
if (!force && existsSync(ADDON) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === current) {
  process.stdout.write('losslab: the native kernels are up to date (build/Release/losslab_kernels.node).\n');
  process.exit(0);
}
const gyp = nodeGypScript();
if (gyp === null) giveUp('node-gyp was not found');
// Node's own headers where this Node has them (Debian's nodejs, the official tarballs), so that
// node-gyp builds offline instead of downloading them; npm's nodedir setting wins when set.
const args = [gyp, 'rebuild', '--loglevel=warn'];
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (result.status !== 0 || !existsSync(ADDON)) giveUp(`node-gyp rebuild exited with ${result.status ?? result.signal}`);
writeFileSync(STAMP, `${current}\n`);
process.stdout.write('losslab: built the native kernels (build/Release/losslab_kernels.node).\n');
