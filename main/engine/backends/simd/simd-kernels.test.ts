import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initWasmAndCpu } from '../kernel-test-support';
import { packageRoot } from '../../../dataset/sample';
import { simdFor } from '../batch-norm-kernels';
import { backendMemory } from './instantiate';
import { maxPoolGradSimdFor } from './max-pool-grad-simd';

test('every generated kernel module is its assembled .wat source', async () => {
  const dir = path.join(packageRoot(), 'main', 'engine', 'backends', 'simd');
  const script = path.join(packageRoot(), 'scripts', 'assemble-wat.mjs');
  const { assembleWat, generatedModule, generatedPath } = (await import(script)) as {
    assembleWat(name: string, text: string): Promise<Buffer>;
    generatedModule(name: string, binary: Buffer): string;
    generatedPath(name: string): string;
  };
  const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.wat'));
  assert.deepEqual(sources.sort(), ['batch-norm.wat', 'max-pool-grad.wat', 'small-conv.wat', 'winograd.wat']);
  for (const name of sources) {
    const binary = await assembleWat(name, fs.readFileSync(path.join(dir, name), 'utf8'));
    assert.equal(fs.readFileSync(generatedPath(name), 'utf8'), generatedModule(name, binary), `${name}: run \`node scripts/assemble-wat.mjs\` after editing it`);
  }
});

test('the SIMD batch-norm loops instantiate on the wasm heap for channels in fours, and only for those', async () => {
  await initWasmAndCpu();
  assert.ok(await tf.setBackend('wasm'));
  const backend = tf.backend() as BackendWasm;
  assert.ok(simdFor(backend, 32), 'SIMD loops instantiate on the backend heap');
  assert.equal(simdFor(backend, 6), null, 'other channel counts use the JavaScript loops');
});

test('the SIMD max-pool gradient instantiates on the backend heap', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const memory = backendMemory(tf.backend() as BackendWasm);
  assert.ok(memory, 'the wasm backend exposes its memory');
  assert.ok(maxPoolGradSimdFor(memory), 'max-pool-grad.wat instantiates');
});
