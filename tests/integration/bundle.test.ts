import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../main/dataset/sample';

/**
 * The offline bundle (scripts/bundle.mjs). Its pruning rules are tested on paths, always. The
 * bundle itself takes about a minute to build (and npm's registry or cache), so the end-to-end
 * test builds it only with LOSSLAB_BUNDLE_TEST=1, and otherwise tests a bundle already built by
 * `npm run bundle`, skipping (with a note) where there is none.
 */

const root = packageRoot();
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const archive = path.join(root, 'release', `losslab-${version}-linux-x64.tar.gz`);

type PruneReason = (relPath: string, mains?: Record<string, string>) => string | null;
const loadRules = async (): Promise<{ pruneReason: PruneReason }> => (await import(path.join(root, 'scripts', 'bundle-rules.mjs'))) as { pruneReason: PruneReason };

const MAINS = { '@tensorflow/tfjs-core': 'dist/tf-core.node.js', '@tensorflow/tfjs-backend-wasm': 'dist/tf-backend-wasm.node.js' };

test('the bundle keeps what Node loads and prunes tests, maps, TypeScript, docs and other platforms', async () => {
  const { pruneReason } = await loadRules();
  const kept = [
    'sharp/lib/index.js',
    'sharp/package.json',
    '@img/sharp-linux-x64/lib/sharp-linux-x64.node',
    '@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.7',
    'webgpu/index.js',
    'webgpu/dist/linux-x64/dawn.node',
    'webgpu/LICENSE.md',
    '@tensorflow/tfjs-core/dist/tf-core.node.js',
    '@tensorflow/tfjs-core/package.json',
    '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js',
    '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
    'katex/dist/katex.min.js',
    'katex/dist/fonts/KaTeX_Main-Regular.ttf',
    'zod/index.cjs',
    'a/node_modules/zod/index.cjs',
    'bullmq/dist/cjs/index.js',
    'luxon/build/node/luxon.js',
  ];
  for (const file of kept) assert.equal(pruneReason(file, MAINS), null, file);
  const pruned: Array<[string, RegExp]> = [
    ['zod/src/v4/classic/tests/string.test.ts', /TypeScript/],
    ['ws/lib/websocket.js.map', /source map/],
    ['sharp/dist/index.d.mts', /TypeScript/],
    ['commander/Readme.md', /documentation/],
    ['katex/contrib/auto-render/test/auto-render-spec.js', /tests/],
    ['@tensorflow/tfjs-core/dist/engine_test.js', /test|bundle/],
    ['@tensorflow/tfjs-core/dist/tf-core.min.js', /does not load/],
    ['@tensorflow/tfjs-core/dist/ops/conv2d.js', /does not load/],
    ['webgpu/dist/win32-x64/dawn.node', /win32-x64/],
    ['webgpu/dist/darwin-universal/dawn.node', /darwin/],
    ['webgpu/dist/linux-arm64/dawn.node', /linux-arm64/],
    ['webgpu/node_modules/@webgpu/types/dist/index.d.ts', /type declarations/],
    ['@types/node/index.d.ts', /type declarations/],
    ['sharp/src/pipeline.cc', /build-from-source/],
    ['bullmq/dist/esm/index.js', /ES-module/],
    ['luxon/build/es6/luxon.mjs', /ES-module/],
    ['.bin/node-gyp-build-optional-packages-test', /launchers/],
  ];
  for (const [file, reason] of pruned) assert.match(pruneReason(file, MAINS) ?? 'kept', reason, file);
  // A tfjs package whose entry point is unknown must stop the bundle, not lose its code.
  assert.throws(() => pruneReason('@tensorflow/tfjs-layers/dist/tf-layers.node.js', MAINS), /no "main" known/);
});

test("LossLab's built code loads its dependencies only by their entry points, which pruning keeps", () => {
  // The tfjs rule keeps only each package's "main": a deep require would find nothing.
  const deep: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.js') && !entry.name.endsWith('.test.js')) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\("(@tensorflow\/[^"]+)"\)/g)) if (m[1]!.split('/').length > 2) deep.push(`${file}: ${m[1]}`);
      }
    }
  };
  walk(path.join(root, 'dist', 'main'));
  assert.deepEqual(deep, []);
});

function ensureBundle(): string | null {
  if (process.env.LOSSLAB_BUNDLE_TEST === '1') {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'ignore' });
    return archive;
  }
  return fs.existsSync(archive) ? archive : null;
}

const bundle = ensureBundle();
const skip = bundle ? false : `no ${path.relative(root, archive)}: run \`npm run bundle\` first, or set LOSSLAB_BUNDLE_TEST=1 to build it here`;

test('the unpacked bundle runs the demo and serves the app with no node on PATH', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-bundle-'));
  try {
    execFileSync('tar', ['-xzf', bundle!, '-C', dir]);
    const top = path.join(dir, `losslab-${version}-linux-x64`);
    const listing = execFileSync('tar', ['-tzf', bundle!], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }).split('\n');
    assert.deepEqual(listing.filter((f) => /\.map$|\.test\.js$|\.ts$|\/webgpu\/dist\/(?!linux-x64\/)[^/]+\/./.test(f)), []);
    assert.ok(listing.some((f) => f.endsWith('/webgpu/dist/linux-x64/dawn.node')), "Dawn's linux-x64 binary is in the bundle");
    assert.ok(listing.some((f) => f.endsWith('/app/dist/renderer/index.html')), 'the renderer is in the bundle');
    assert.ok(!listing.some((f) => f.includes('/node_modules/electron/') || f.includes('/node_modules/@tensorflow/tfjs-node')));

    // PATH holds only an empty folder: no node, no coreutils; the launcher needs neither.
    const emptyBin = fs.mkdtempSync(path.join(dir, 'bin-'));
    const env = { PATH: emptyBin, HOME: dir, LOSSLAB_DATA_DIR: path.join(dir, 'data'), LOSSLAB_CACHE_DIR: path.join(dir, 'cache') };
    const demo = spawnSync(path.join(top, 'bin', 'losslab'), ['demo', '--epochs', '1', '--out', path.join(dir, 'out')], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(demo.status, 0, demo.stderr);
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'results.json'), 'utf8')) as { runs: Array<{ runId: string }> };
    assert.deepEqual(results.runs.map((r) => r.runId), ['ce#seed1', 'focal#seed1', 'balanced-softmax#seed1']);

    const server = spawn(path.join(top, 'bin', 'losslab'), ['serve', '--port', '0', '--root', dir, '--data-dir', path.join(dir, 'store')], { cwd: dir, env });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /http:\/\/\S+/.exec(out);
          if (match) resolve(match[0]);
        });
        server.once('exit', (code) => reject(new Error(`serve exited with ${code} before printing its URL`)));
      });
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script[^>]+src="\.\/assets\/index-/);
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
