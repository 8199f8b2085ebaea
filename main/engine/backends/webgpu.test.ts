/**
 * The WebGPU backend. Decisions (which adapters 'auto' may use, the self-check's comparison,
 * the chunked AddN) are tested everywhere with made-up inputs; training on a real adapter
 * runs where Dawn finds one (in CI: Mesa's lavapipe, a software Vulkan driver that .ci/run
 * installs from bookworm-backports) and skips, saying why, elsewhere.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Registers its kernels for 'webgpu' (the backend itself only exists once navigator.gpu does).
import '@tensorflow/tfjs-backend-webgpu';
import '../../losses/tf-gradients';
import { COUNTS, LABELS, LOSS_CASES, TOTAL_EPOCHS } from '../../losses/cases';
import { evaluate, randomMatrix } from '../../losses/harness';
import { getLoss } from '../../losses/registry';
import { modelSchema, trainingSchema } from '../../experiment/config';
import { trainRun } from '../train-run';
import type { RunJob, TrainingData } from '../types';
import { selectBackend } from './select-backend';
import { gpuDeviceNodePresent, probeAdapter, takeWebGpuErrors, tryWebGpu, WEBGPU_ADVICE } from './webgpu';
import { adapterFacts, autoVerdict, describeAdapter, isSoftwareAdapter, type AdapterFacts } from './webgpu-adapter';
import { makeChunkedAddN, registerWebGpuKernelFixes, webGpuKernelFixesRegistered } from './webgpu-kernels';
import { compareSteps, type CheckOutcome, type StepResult } from './webgpu-self-check';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from './batch-norm-kernels';
import { composedBatchNormTraining } from '../layers/batch-norm-training';

const adapter = (facts: Partial<AdapterFacts>): AdapterFacts => ({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: undefined, ...facts });

/** What Dawn 0.6 reports for Mesa 25's lavapipe on the build machines. */
const LAVAPIPE = adapter({
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
  isFallbackAdapter: true,
});

test("'auto' never takes a fallback or software adapter", () => {
  const software: Array<[string, AdapterFacts]> = [
    ['lavapipe as Dawn reports it', LAVAPIPE],
    ['lavapipe from a Dawn without the fallback flag', { ...LAVAPIPE, isFallbackAdapter: undefined }],
    ['lavapipe with the flag false but a software architecture', { ...LAVAPIPE, isFallbackAdapter: false, description: '' }],
    ['any adapter flagged as fallback', adapter({ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3080', isFallbackAdapter: true })],
    ['SwiftShader', adapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' })],
    ['Direct3D WARP', adapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })],
    ['a CPU device type', adapter({ vendor: 'someone', architecture: 'cpu', description: 'Some CPU renderer' })],
  ];
  for (const [what, facts] of software) {
    assert.equal(isSoftwareAdapter(facts), true, what);
    const verdict = autoVerdict(facts);
    assert.equal(verdict.eligible, false, what);
    if (!verdict.eligible) assert.match(verdict.reason, /software adapter; 'auto' never chooses one/, what);
  }
  const noAdapter = autoVerdict(null);
  assert.equal(noAdapter.eligible, false);
});

test("'auto' may try hardware adapters (the self-check still decides)", () => {
  const hardware = [
    adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200', isFallbackAdapter: false }),
    adapter({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2 Pro', isFallbackAdapter: false }),
    adapter({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7800 XT (RADV NAVI32)' }),
    adapter({ vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD Graphics 770' }),
  ];
  for (const facts of hardware) {
    assert.equal(isSoftwareAdapter(facts), false, facts.description);
    assert.deepEqual(autoVerdict(facts), { eligible: true }, facts.description);
    assert.match(describeAdapter(facts), /hardware adapter/);
  }
});

test('adapter facts are read from current and older Dawn adapters', () => {
  // Current: the flag lives on GPUAdapterInfo.
  assert.equal(adapterFacts({ info: { vendor: 'mesa', architecture: 'software', isFallbackAdapter: true } }).isFallbackAdapter, true);
  // Older: on the adapter itself.
  assert.equal(adapterFacts({ info: { vendor: 'mesa' }, isFallbackAdapter: true }).isFallbackAdapter, true);
  const bare = adapterFacts({});
  assert.deepEqual(bare, adapter({}));
  assert.equal(autoVerdict(bare).eligible, true, 'an adapter that says nothing is tried, and must pass the self-check');
});

const H200 = adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200', isFallbackAdapter: false });

test("'auto' with a software adapter stops before touching the GPU", async () => {
  let checked = false;
  const notes: string[] = [];
  const chosen = await tryWebGpu('auto', notes, {
    probe: async () => ({ facts: LAVAPIPE }),
    check: async () => {
      checked = true;
      throw new Error('not reached');
    },
  });
  assert.equal(chosen, null);
  assert.equal(checked, false);
  assert.match(notes.join('\n'), /^webgpu not chosen: "llvmpipe.*software adapter; 'auto' never chooses one/);
});

test('a hardware adapter whose self-check disagrees with cpu is not used, by auto or by name', async () => {
  const failing = async (): Promise<CheckOutcome & { seconds: number }> => ({
    ok: false,
    worst: { name: 'gradient of conv1', relativeError: 0.7 },
    problem: 'gradient of conv1 differs from the cpu backend\'s by 7.00e-1',
    seconds: 0.1,
  });
  for (const mode of ['auto', 'explicit'] as const) {
    const notes: string[] = [];
    const chosen = await tryWebGpu(mode, notes, { probe: async () => ({ facts: H200 }), check: failing });
    assert.equal(chosen, null, mode);
    assert.notEqual(tf.getBackend(), 'webgpu');
    const text = notes.join('\n');
    // Without the `webgpu` package the failure is that it cannot load; the backend is refused either way.
    assert.match(text, /webgpu self-check failed: gradient of conv1 differs|webgpu failed: the optional package/, `${mode}: ${text}`);
  }
});

function stepResult(scale = 1, changes: Partial<Record<string, number[]>> = {}): StepResult {
  const gradients: Record<string, Float32Array> = {
    conv: Float32Array.from([0.5, -0.25, 0.125, 2].map((v) => v * scale)),
    bias: Float32Array.from([1e-3, -2e-3]),
  };
  for (const [name, values] of Object.entries(changes)) gradients[name] = Float32Array.from(values!);
  return { loss: 1.25, gradients };
}

test('the self-check comparison accepts float32 noise and rejects wrong numbers', () => {
  assert.equal(compareSteps(stepResult(), stepResult()).ok, true);
  assert.equal(compareSteps(stepResult(1 + 1e-6), stepResult()).ok, true);
  const zeroed = compareSteps(stepResult(1, { conv: [0, 0, 0, 0] }), stepResult());
  assert.equal(zeroed.ok, false);
  assert.equal(zeroed.worst.name, 'gradient of conv');
  assert.match(zeroed.problem!, /gradient of conv differs from the cpu backend's/);
  assert.equal(compareSteps(stepResult(1, { bias: [NaN, 0] }), stepResult()).ok, false);
  assert.equal(compareSteps({ loss: 1.25, gradients: { conv: stepResult().gradients.conv! } }, stepResult()).ok, false, 'a missing gradient fails');
  assert.equal(compareSteps({ ...stepResult(), loss: 1.3 }, stepResult()).ok, false);
});

test('AddN with more inputs than a shader may bind is summed in chunks', () => {
  // A stand-in backend: each "tensor" is a number, and the device binds 4 storage buffers.
  const values = new Map<object, number>();
  const disposed: object[] = [];
  const backend = { device: { limits: { maxStorageBuffersPerShaderStage: 4 } }, disposeData: (id: object) => disposed.push(id) };
  const info = (v: number): tf.TensorInfo => {
    const dataId = {};
    values.set(dataId, v);
    return { dataId, shape: [], dtype: 'float32' };
  };
  const widths: number[] = [];
  const stock: tf.KernelFunc = ({ inputs }) => {
    const terms = inputs as unknown as tf.TensorInfo[];
    widths.push(terms.length);
    return info(terms.reduce((sum, t) => sum + values.get(t.dataId)!, 0));
  };
  const addN = makeChunkedAddN(stock);
  const call = (n: number) => {
    const inputs = Array.from({ length: n }, (_, i) => info(i + 1));
    return addN({ inputs: inputs as unknown as tf.NamedTensorInfoMap, backend: backend as unknown as tf.KernelBackend, attrs: {} }) as tf.TensorInfo;
  };
  for (const n of [2, 3, 4, 7, 10, 40]) {
    widths.length = 0;
    disposed.length = 0;
    const result = call(n);
    assert.equal(values.get(result.dataId), (n * (n + 1)) / 2, `sum of 1..${n}`);
    assert.ok(widths.every((w) => w <= 3), `${n} inputs: every pass binds at most 3 (+1 output), got ${widths}`);
    assert.equal(disposed.length, widths.length - 1, 'every partial sum is released, the result is not');
    assert.ok(!disposed.includes(result.dataId));
  }
  registerWebGpuKernelFixes();
  registerWebGpuKernelFixes();
  assert.ok(webGpuKernelFixesRegistered(), 'installed once, idempotently');
});

/** Loss-test inputs for every catalogue case (as main/losses/wasm.test.ts uses). */
function lossInputs(): number[][][] {
  return LOSS_CASES.map((c, k) => (getLoss(c.id).kind === 'embedding' ? randomMatrix(500 + k, LABELS.length, 6, 1) : randomMatrix(500 + k, LABELS.length, COUNTS.length, 3)));
}

/** A tiny RGB dataset: three classes, told apart by which channel is brightest. */
function tinyData(): TrainingData {
  const s = 8;
  const n = 18;
  const pixels = new Uint8Array(new SharedArrayBuffer(n * s * s * 3));
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < s * s; p++) {
      for (let c = 0; c < 3; c++) pixels[(i * s * s + p) * 3 + c] = (c === i % 3 ? 150 : 40) + ((i * 31 + p * 7 + c * 13) % 90);
    }
  }
  const all = Array.from({ length: n }, (_, i) => i);
  return {
    pixels,
    imageSize: s,
    channels: 3,
    labels: Int32Array.from(all, (i) => i % 3),
    train: Int32Array.from(all.slice(0, 12)),
    val: Int32Array.from(all.slice(12, 15)),
    test: Int32Array.from(all.slice(15)),
    numClasses: 3,
    trainCounts: [4, 4, 4],
    channelMean: [0.45, 0.45, 0.45],
    channelStd: [0.2, 0.2, 0.2],
  };
}

/** One epoch of one batch, so one training step, then evaluation; weight decay and augmentation on. */
function oneStepJob(lossId: string, optimizer: 'adam' | 'sgd' = 'adam'): RunJob {
  return {
    index: 0,
    runId: `${lossId}#1`,
    lossId,
    params: {},
    seed: 1,
    model: modelSchema.parse({ width: 4, depth: 3 }),
    training: trainingSchema.parse({ epochs: 1, batchSize: 12, optimizer, probeEpochs: 1, weightDecay: 5e-4, augment: { flip: true, crop: true } }),
  };
}

test("every kernel of LossLab's training step is registered for webgpu", async () => {
  await tf.setBackend('cpu');
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const used = new Set<string>();
  const record = async (fn: () => Promise<unknown> | unknown) => {
    const info = await tf.profile(async () => {
      await fn();
      return [];
    });
    // Ops built with customGrad show up as 'name__op' scopes around their kernels.
    info.kernelNames.filter((k) => !k.endsWith('__op')).forEach((k) => used.add(k));
  };
  const inputs = lossInputs();
  for (const [k, c] of LOSS_CASES.entries()) await record(() => evaluate(c.id, c.params, COUNTS, TOTAL_EPOCHS, inputs[k]!, LABELS, c.epoch ?? 0));
  const data = tinyData();
  // The network with Adam and with SGD, and an embedding loss for the linear-probe stage.
  for (const job of [oneStepJob('ce'), oneStepJob('ce', 'sgd'), oneStepJob('supcon')]) await record(() => trainRun(job, data));
  // Batch norm runs as LossLab's fused kernels only where they are registered (cpu, wasm);
  // on webgpu it is composed from tfjs ops, so those are the kernels webgpu needs.
  assert.ok(used.has(BATCH_NORM_TRAINING), 'the cpu step uses the fused batch norm');
  [BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD].forEach((k) => used.delete(k));
  await record(() =>
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 3, 4]);
      return tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(composedBatchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y))([x, tf.ones([4]), tf.zeros([4])]);
    }),
  );
  for (const kernel of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'FusedBatchNorm', 'AddN']) assert.ok(used.has(kernel), `${kernel} is used`);
  const missing = [...used].filter((k) => tf.getKernel(k, 'webgpu') === undefined);
  assert.deepEqual(missing, [], `kernels without a webgpu implementation: ${missing}`);
});

test('a LossLab training step on a WebGPU adapter matches the cpu backend', async (t) => {
  const probe = await probeAdapter();
  if (!probe.facts) {
    t.skip(`no WebGPU adapter here (${probe.problem}). ${WEBGPU_ADVICE}`);
    return;
  }
  // 'auto' must not take a software adapter, and says so.
  if (isSoftwareAdapter(probe.facts)) {
    const auto = await selectBackend('auto');
    assert.notEqual(auto.name, 'webgpu');
    // Without a GPU device node 'auto' does not even load Dawn; with one it probes and refuses.
    const refusal = gpuDeviceNodePresent() ? /^webgpu not chosen: .*software adapter/ : /^webgpu not probed: no GPU device/;
    assert.ok(auto.notes.some((n) => refusal.test(n)), auto.notes.join('\n'));
  }

  const data = tinyData();
  // SGD: Adam's first step is about lr·sign(gradient), which would turn float32 noise in a
  // near-zero gradient into a visible difference. (Its kernels are checked above; on lavapipe
  // it also saves compiling its shaders, several seconds with a cold shader cache.)
  const job = oneStepJob('ce', 'sgd');
  await selectBackend('cpu');
  const onCpu = await trainRun(job, data);

  const info = await selectBackend('webgpu');
  assert.equal(info.name, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.ok(info.notes.some((n) => n.startsWith('webgpu adapter: ')), info.notes.join('\n'));
  assert.ok(info.notes.some((n) => n.startsWith('webgpu self-check passed')), info.notes.join('\n'));
  assert.ok(webGpuKernelFixesRegistered());

  const onGpu = await trainRun(job, data);
  assert.deepEqual(takeWebGpuErrors(), [], 'the device reported no errors');

  assert.equal(onGpu.history.length, 1);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 + 1e-3 * Math.abs(b), `${what}: webgpu ${a}, cpu ${b}`);
  close(onGpu.history[0]!.trainLoss, onCpu.history[0]!.trainLoss, 'training loss');
  onCpu.testLogits.forEach((v, i) => close(onGpu.testLogits[i]!, v, `test logit ${i} after the step`));
  onCpu.valLogits.forEach((v, i) => close(onGpu.valLogits[i]!, v, `validation logit ${i} after the step`));

  // Wider than one shader may bind: the chunked AddN.
  const terms = Array.from({ length: 40 }, (_, i) => tf.fill([3], i + 1));
  const sum = tf.addN(terms);
  assert.deepEqual(Array.from(await sum.data()), [820, 820, 820]);
  tf.dispose([...terms, sum]);
  assert.deepEqual(takeWebGpuErrors(), []);

  // Were this adapter hardware, 'auto' would run the self-check on it and take it, and
  // selecting again keeps the backend (and the device) already in use.
  const inUse = tf.backend();
  const notes: string[] = [];
  const auto = await tryWebGpu('auto', notes, { probe: async () => ({ facts: H200 }) });
  assert.equal(auto?.name, 'webgpu', notes.join('\n'));
  assert.match(notes.join('\n'), /webgpu adapter: "NVIDIA H200" .*hardware adapter.*\nwebgpu self-check passed/s);
  assert.equal(tf.backend(), inUse);
});

test("'auto' on Linux without a GPU device node does not load Dawn at all", async () => {
  const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-dev-'));
  if (process.platform === 'linux') {
    assert.equal(gpuDeviceNodePresent(dev), false);
    fs.mkdirSync(path.join(dev, 'dri'));
    fs.writeFileSync(path.join(dev, 'dri', 'renderD128'), '');
    assert.equal(gpuDeviceNodePresent(dev), true);
    fs.rmSync(path.join(dev, 'dri'), { recursive: true });
    fs.writeFileSync(path.join(dev, 'nvidia0'), '');
    assert.equal(gpuDeviceNodePresent(dev), true);
  } else {
    assert.equal(gpuDeviceNodePresent(dev), true);
  }
});
