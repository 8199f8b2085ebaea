import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import * as simd from '../main/engine/backends/simd/instantiate';
import { selectBackend } from '../main/engine/backends/select-backend';
import { APP_DEFAULT_FILTERS, buildReferenceCnn, makeTrainStep, syntheticBatch } from './reference-cnn';

/**
 * Exploration (issue 14, part 3): can one training run use a second, idle core through
 * tfjs-wasm's threaded-SIMD build, and does the thread count leave the numbers unchanged?
 *
 *   node dist/bench/wasm-threads.js [--variants app,plain] [--threads 0,1,2] [--steps 12]
 *
 * Each configuration trains in its own worker thread (as LossLab's pool does): threads 0 is
 * LossLab's normal wasm path (SIMD build, no threads); N > 0 is the threaded-SIMD build with an
 * XNNPACK pool of N threads. It prints per configuration the losses, a hash of the trained
 * weights and the logits, and wall / process-CPU ms per step. It asserts nothing.
 *
 * Why tfjs cannot do this on its own in Node (tfjs-backend-wasm 4.22):
 * - WASM_HAS_MULTITHREAD_SUPPORT is hard-wired false under Node;
 * - its init() hands Emscripten a blob: URL for the pthread worker and a Blob as the main
 *   script, which Node's worker_threads refuse (ERR_WORKER_PATH) and its importScripts shim
 *   cannot read; here both are real files (the worker script written once to the temp folder);
 * - backend.cc caps the pool at emscripten_num_logical_cores() / 2 (it assumes two hyperthreads
 *   per core), i.e. 1 thread on a 2-core machine; the instantiateWasm hook below answers
 *   2 * threads so that the cap is the count asked for.
 * LossLab's own .wat kernels import a non-shared memory; the threaded build's memory is
 * shared, so they are re-assembled here (wabt, a dev dependency) with a shared memory import.
 * Their code is unchanged, so their arithmetic is too.
 */

interface Config {
  variant: 'app' | 'plain';
  threads: number;
  steps: number;
}

interface Result extends Config {
  tfjsThreads: number;
  watKernelsOnSharedMemory: number;
  losses: number[];
  hash: string;
  wallMsPerStep: number;
  cpuMsPerStep: number;
}

function wasmPaths(): { dist: string; out: string } {
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  return { dist, out: path.join(dist, '..', 'wasm-out') };
}

/** The pthread worker script as a real file (content-addressed, so runs can share it). */
function pthreadWorkerFile(out: string): string {
  const { wasmWorkerContents } = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The package keeps the script in a template literal whose "\n" escapes became newlines.
  const text = wasmWorkerContents.replace(/\n/g, '\\n');
  const file = path.join(os.tmpdir(), `losslab-tfjs-wasm-pthread-${crypto.createHash('sha1').update(text).digest('hex').slice(0, 12)}.js`);
  if (!fs.existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, text);
    fs.renameSync(partial, file);
  }
  return file;
}

type EmscriptenModule = Record<string, unknown> & { cwrap: (...args: unknown[]) => unknown; wasmMemory: object };

/** Replaces the 'wasm' backend's factory with one that starts the threaded-SIMD build in Node. */
function registerThreadedWasm(threads: number): void {
  const { dist, out } = wasmPaths();
  const factoryPath = path.join(out, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(factoryPath) as (config: object) => Promise<EmscriptenModule>;
  const workerFile = pthreadWorkerFile(out);
  const binary = path.join(dist, 'tfjs-backend-wasm-threaded-simd.wasm');
  const WebAssembly = (globalThis as unknown as { WebAssembly: { instantiate(b: Uint8Array, i: object): Promise<{ instance: object; module: object }> } }).WebAssembly;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const module = await factory({
        locateFile: (file: string, prefix: string) => (file.endsWith('.worker.js') ? workerFile : file.endsWith('.wasm') ? binary : prefix + file),
        mainScriptUrlOrBlob: factoryPath,
        instantiateWasm: (info: { env: Record<string, unknown> }, receive: (instance: object, module: object) => void) => {
          for (const [name, fn] of Object.entries(info.env)) {
            if (typeof fn === 'function' && fn.name === '_emscripten_num_logical_cores') info.env[name] = () => 2 * threads;
          }
          void WebAssembly.instantiate(fs.readFileSync(binary), info).then((r) => receive(r.instance, r.module));
          return {};
        },
      });
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      tfwasm.setThreadsCount(threads);
      return new tfwasm.BackendWasm(module as never);
    },
    2,
  );
}

/** Points LossLab's .wat kernels at the threaded build's shared memory; returns a count of instances made. */
async function useSharedMemoryKernels(): Promise<() => number> {
  const makeWabt = (await import('wabt')).default;
  const wabt = await makeWabt();
  const dir = path.join(__dirname, '..', '..', 'main', 'engine', 'backends', 'simd');
  const assemble = (name: string, text: string): Uint8Array => {
    const m = wabt.parseWat(name, text, { simd: true, threads: true });
    try {
      return m.toBinary({}).buffer;
    } finally {
      m.destroy();
    }
  };
  const WebAssembly = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: unknown } } }).WebAssembly;
  const sharedOf = new Map<string, object>();
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    const shared = text.replace('(import "env" "memory" (memory 0))', '(import "env" "memory" (memory 0 65536 shared))');
    if (shared === text) throw new Error(`${name}: no memory import to share`);
    sharedOf.set(Buffer.from(assemble(name, text)).toString('base64'), new WebAssembly.Module(assemble(name, shared)));
  }
  const instances = new Map<string, unknown>();
  const patch = simd as unknown as { backendMemory: typeof simd.backendMemory; instantiateOn: typeof simd.instantiateOn };
  patch.backendMemory = (backend) => (backend.wasm as EmscriptenModule).wasmMemory ?? null;
  patch.instantiateOn = <T>(base64: string, memory: object): T | null => {
    if (!instances.has(base64)) {
      const module = sharedOf.get(base64);
      if (module === undefined) throw new Error('a LossLab kernel has no shared-memory build: rebuild (node scripts/assemble-wat.mjs)');
      instances.set(base64, new WebAssembly.Instance(module, { env: { memory } }).exports);
    }
    return instances.get(base64) as T;
  };
  return () => instances.size;
}

async function train(config: Config): Promise<Result> {
  let sharedKernels = (): number => 0;
  if (config.threads > 0) {
    sharedKernels = await useSharedMemoryKernels();
    registerThreadedWasm(config.threads);
  }
  await selectBackend('wasm');
  const model = buildReferenceCnn(config.variant === 'app' ? { filters: APP_DEFAULT_FILTERS } : { batchNorm: false });
  const step = makeTrainStep(model, 'adam');
  const { images, labels } = syntheticBatch(64);
  const warmup = 2;
  const losses: number[] = [];
  let t0 = 0n;
  let c0 = process.cpuUsage();
  for (let i = 0; i < config.steps + warmup; i++) {
    if (i === warmup) {
      t0 = process.hrtime.bigint();
      c0 = process.cpuUsage();
    }
    losses.push(step(images, labels));
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / config.steps;
  const cpu = process.cpuUsage(c0);
  const hash = crypto.createHash('sha1');
  for (const w of model.getWeights()) hash.update(Buffer.from(w.dataSync().buffer));
  hash.update(Buffer.from((model.predict(images) as tf.Tensor).dataSync().buffer));
  return {
    ...config,
    tfjsThreads: tfwasm.getThreadsCount(),
    watKernelsOnSharedMemory: sharedKernels(),
    losses,
    hash: hash.digest('hex').slice(0, 16),
    wallMsPerStep: +wall.toFixed(1),
    cpuMsPerStep: +((cpu.user + cpu.system) / 1000 / config.steps).toFixed(1),
  };
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const variants = option('variants', 'app,plain').split(',') as Config['variant'][];
  const threads = option('threads', '0,1,2').split(',').map(Number);
  const steps = Number(option('steps', '12'));
  const results: Result[] = [];
  for (const variant of variants) {
    for (const t of threads) {
      const result = await new Promise<Result>((resolve, reject) => {
        const worker = new Worker(__filename, { workerData: { variant, threads: t, steps } satisfies Config });
        worker.once('message', (r: Result) => {
          resolve(r);
          void worker.terminate();
        });
        worker.once('error', reject);
      });
      results.push(result);
      console.error(JSON.stringify({ ...result, losses: result.losses.map((l) => +l.toFixed(7)) }));
    }
  }
  const identical = variants.map((v) => ({ variant: v, sameNumbersForEveryThreadCount: new Set(results.filter((r) => r.variant === v).map((r) => r.hash)).size === 1 }));
  console.log(JSON.stringify({ loadAverage: os.loadavg().map((l) => +l.toFixed(2)), identical, results: results.map(({ losses: _l, ...r }) => r) }, null, 2));
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  train(workerData as Config).then(
    (result) => parentPort?.postMessage(result),
    (error) => {
      throw error;
    },
  );
}
