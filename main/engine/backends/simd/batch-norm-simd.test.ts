import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { packageRoot } from '../../../dataset/sample';
import { simdFor } from '../batch-norm-kernels';

test('the generated module is the assembled batch-norm.wat', async () => {
  const dir = path.join(packageRoot(), 'main', 'engine', 'backends', 'simd');
  const script = path.join(packageRoot(), 'scripts', 'assemble-wat.mjs');
  const { assembleWat, generatedModule } = (await import(script)) as {
    assembleWat(name: string, text: string): Promise<Buffer>;
    generatedModule(name: string, binary: Buffer): string;
  };
  const binary = await assembleWat('batch-norm.wat', fs.readFileSync(path.join(dir, 'batch-norm.wat'), 'utf8'));
  assert.equal(fs.readFileSync(path.join(dir, 'batch-norm-wasm.ts'), 'utf8'), generatedModule('batch-norm.wat', binary), 'run `node scripts/assemble-wat.mjs` after editing a .wat file');
});

test('the wasm backend runs batch norm with the SIMD loops for multiples of 4 channels', async () => {
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(Object.fromEntries(['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map((f) => [f, path.join(dist, f)])));
  assert.ok(await tf.setBackend('wasm'));
  const backend = tf.backend() as BackendWasm;
  assert.ok(simdFor(backend, 32), 'SIMD loops instantiate on the backend heap');
  assert.equal(simdFor(backend, 6), null, 'other channel counts use the JavaScript loops');
});
