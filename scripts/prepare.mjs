#!/usr/bin/env node
// `npm install` runs `prepare`, and so does the first `npx losslab …` in a clone: npm exec
// installs a project whose own bin is asked for into its npx cache (a link back here) and runs
// its `prepare` there. A full rebuild each time made that first command take 20–40 s. This
// builds only when the build's inputs changed since the last build it made, so after
// `npm install` the README's commands start at once, and after `git pull` + `npm install`
// the build is still current. `npm run build:all` always rebuilds.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['main', 'renderer', 'electron', 'tests', 'bench', 'assets'];
const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];
const OUTPUTS = ['dist/main/cli/index.js', 'dist/renderer/index.html', 'dist/electron/main.js'];
const STAMP = path.join(root, 'dist', '.build-inputs');

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

/** A hash of every file the build reads (names and contents), so a change anywhere rebuilds. */
export function inputsHash() {
  const hash = createHash('sha256');
  const all = [...SOURCE_FILES.map((f) => path.join(root, f)).filter(existsSync), ...SOURCE_DIRS.map((d) => path.join(root, d)).filter(existsSync).flatMap((d) => [...files(d)])];
  for (const file of all) {
    hash.update(path.relative(root, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

// The native kernels first: they have their own up-to-date check, and never fail the install.
const native = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs')], { cwd: root, stdio: 'inherit' });
if (native.status !== 0) process.exit(native.status ?? 1);

const current = inputsHash();
const built = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : null;
if (built === current && OUTPUTS.every((f) => existsSync(path.join(root, f)))) {
  process.stdout.write('losslab: the build is up to date (dist/); `npm run build:all` rebuilds it anyway.\n');
  process.exit(0);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['run', 'build:all'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(STAMP, `${current}\n`);
