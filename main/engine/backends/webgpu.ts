import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { adapterFacts, autoVerdict, describeAdapter, isSoftwareAdapter, type AdapterFacts } from './webgpu-adapter';
import { registerWebGpuKernelFixes } from './webgpu-kernels';
import { selfCheck } from './webgpu-self-check';
import { firstLine, packageVersion } from './describe';

/**
 * The 'webgpu' backend: @tensorflow/tfjs-backend-webgpu on the GPU that Dawn (the `webgpu`
 * npm package) exposes through Vulkan, Metal or Direct3D 12, so a GPU trains without CUDA.
 * Browsers supply navigator.gpu; in Node, Dawn's GPU object and its GPU* constants are
 * installed on globalThis before tfjs's webgpu backend starts, because it reads them there.
 */

export const WEBGPU_NAME = 'webgpu';
export const TFJS_WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';
/** Optional dependency: a native addon with prebuilt binaries for five platforms only. */
export const DAWN_PACKAGE = 'webgpu';

export const WEBGPU_ADVICE =
  `The 'webgpu' backend needs the optional package '${DAWN_PACKAGE}' (\`npm install ${DAWN_PACKAGE}\` in the ` +
  'LossLab folder; it has binaries for Linux, macOS and Windows on x64 and arm64) and a GPU driver that ' +
  'Dawn can use: Vulkan on Linux, Metal on macOS, Direct3D 12 on Windows. On Debian or Ubuntu install ' +
  "your GPU vendor's Vulkan driver or `mesa-vulkan-drivers` (on Debian 12 from bookworm-backports: " +
  "`apt-get install -t bookworm-backports mesa-vulkan-drivers`; bookworm's own Mesa 22 is too old for " +
  "Dawn). Or choose 'auto'.";

/** Asked for by the probe and by the backend factory alike, so the adapter described is the one trained on. */
const ADAPTER_OPTIONS = { powerPreference: 'high-performance' } as const;

// Minimal shapes of Dawn's objects: the package is optional, so its types cannot be relied on.
interface GpuAdapter {
  info?: Partial<Record<keyof AdapterFacts, unknown>>;
  isFallbackAdapter?: unknown;
  limits: Record<string, number | undefined>;
  features?: { has(name: string): boolean };
  requestDevice(descriptor?: { requiredLimits?: Record<string, number>; requiredFeatures?: string[] }): Promise<GpuDevice>;
}
interface GpuDevice {
  onuncapturederror: ((event: { error: { message: string } }) => void) | null;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: string; forceFallbackAdapter?: boolean }): Promise<GpuAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

export interface AdapterProbe {
  /** Null when there is no adapter (or no Dawn); `problem` then says why. */
  facts: AdapterFacts | null;
  problem?: string;
}

let gpuPromise: Promise<{ gpu: Gpu; globals: Record<string, unknown> }> | null = null;

/** One Dawn instance per thread: each holds a Vulkan/Metal/D3D instance, so they are not made per call. */
function openGpu(): Promise<{ gpu: Gpu; globals: Record<string, unknown> }> {
  gpuPromise ??= (async () => {
    let dawn: DawnModule;
    try {
      // A non-literal specifier keeps TypeScript from needing the optional package's types,
      // and import() because the package is an ES module.
      const specifier: string = DAWN_PACKAGE;
      dawn = (await import(specifier)) as DawnModule;
    } catch (error) {
      throw new Error(
        `the optional package '${DAWN_PACKAGE}' (Dawn's WebGPU for Node) is not installed or has no binary for ${process.platform}-${process.arch} (${firstLine(error)})`,
      );
    }
    return { gpu: dawn.create([]), globals: dawn.globals };
  })();
  return gpuPromise;
}

let probePromise: Promise<AdapterProbe> | null = null;

/** The adapter Dawn would give tfjs, described; cached because drivers do not change under a running process. */
export function probeAdapter(): Promise<AdapterProbe> {
  probePromise ??= (async (): Promise<AdapterProbe> => {
    try {
      const { gpu } = await openGpu();
      const adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
      if (!adapter) return { facts: null, problem: 'Dawn found no WebGPU adapter (no usable Vulkan, Metal or Direct3D 12 driver)' };
      return { facts: adapterFacts(adapter) };
    } catch (error) {
      return { facts: null, problem: firstLine(error) };
    }
  })();
  return probePromise;
}

/**
 * Limits raised to the adapter's maximum: the first six as tfjs does, so that big tensors fit
 * in one binding; storage buffers per stage so that wide kernels (AddN, Concat) need fewer passes.
 */
const RAISED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

type WebGpuModule = typeof import('@tensorflow/tfjs-backend-webgpu');

/**
 * Registers LossLab's factory for the 'webgpu' backend. tfjs's own registers itself at
 * priority 3 (above wasm and cpu) as soon as navigator.gpu exists, which would let any code
 * that touches tf before choosing a backend land on a software adapter; ours has priority 0,
 * so webgpu is only ever used when selected by name.
 */
let factoryRegistered = false;

async function registerFactory(): Promise<void> {
  const { gpu, globals } = await openGpu();
  // tfjs's webgpu kernels refer to GPUBuffer, GPUBufferUsage, GPUMapMode… as globals, and its
  // backend refuses to start without navigator.gpu. Names the runtime already has are kept.
  const scope = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) if (!(name in scope)) scope[name] = value;
  const nav = (scope.navigator ??= {}) as Record<string, unknown>;
  if (nav.gpu !== gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });

  // Once per thread: selecting again must not replace a backend whose tensors are in use.
  if (factoryRegistered && WEBGPU_NAME in tf.engine().registryFactory) return;
  const load: (id: string) => unknown = require;
  const { WebGPUBackend } = load(TFJS_WEBGPU_PACKAGE) as WebGpuModule;
  registerWebGpuKernelFixes();
  if (WEBGPU_NAME in tf.engine().registryFactory) tf.removeBackend(WEBGPU_NAME);
  tf.registerBackend(
    WEBGPU_NAME,
    async () => {
      const adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
      if (!adapter) throw new Error('the WebGPU adapter disappeared');
      const requiredLimits: Record<string, number> = {};
      for (const name of RAISED_LIMITS) {
        const value = adapter.limits[name];
        if (typeof value === 'number') requiredLimits[name] = value;
      }
      const requiredFeatures = timestampQueries && adapter.features?.has('timestamp-query') ? ['timestamp-query'] : [];
      const device = await adapter.requestDevice({ requiredLimits, ...(requiredFeatures.length > 0 ? { requiredFeatures } : {}) });
      // A failed shader or pipeline does not throw: tfjs carries on and reads zeros. Errors are
      // collected so that the self-check and each finished run can refuse such results.
      device.onuncapturederror = (event) => {
        if (gpuErrors.length < MAX_KEPT_ERRORS) gpuErrors.push(firstLine(event.error.message));
        else gpuErrorsDropped++;
      };
      return new WebGPUBackend(device as unknown as ConstructorParameters<typeof WebGPUBackend>[0], adapter.info as unknown as ConstructorParameters<typeof WebGPUBackend>[1]);
    },
    0,
  );
  factoryRegistered = true;
}

let timestampQueries = false;

/**
 * Benchmarks only (bench/webgpu-throughput.ts --profile): devices created from now on ask for
 * 'timestamp-query' where the adapter has it, so tf.profile reports each kernel's GPU time.
 * tfjs uses the queries only while profiling, but training never asks for what it does not use.
 */
export function enableWebGpuTimestampQueries(): void {
  timestampQueries = true;
}

const MAX_KEPT_ERRORS = 20;
const gpuErrors: string[] = [];
let gpuErrorsDropped = 0;

/**
 * Errors the GPU device reported since the last call (validation, out of memory, internal),
 * then forgets them. Anything here means results computed meanwhile may be wrong.
 */
export function takeWebGpuErrors(): string[] {
  const errors = gpuErrors.splice(0);
  if (gpuErrorsDropped > 0) errors.push(`…and ${gpuErrorsDropped} more`);
  gpuErrorsDropped = 0;
  return errors;
}

/** Seams for tests: the adapter probe and the self-check. */
export interface TryWebGpuDeps {
  probe?: () => Promise<AdapterProbe>;
  check?: typeof selfCheck;
}

/**
 * A driver that hangs must not hang LossLab's start. On a hardware GPU the check takes about a
 * second; on lavapipe (explicit requests only) up to ~15 s while Mesa's shader cache is cold.
 */
const SELF_CHECK_TIMEOUT_S = { auto: 30, explicit: 180 } as const;

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface WebGpuChoice {
  name: string;
  package: string;
  version: string;
}

/** False only on Linux without a render node or NVIDIA device: elsewhere (macOS, Windows) assume a GPU may exist. */
export function gpuDeviceNodePresent(devices = '/dev'): boolean {
  if (process.platform !== 'linux') return true;
  try {
    if (fs.readdirSync(path.join(devices, 'dri')).some((name) => name.startsWith('renderD'))) return true;
  } catch {
    // no /dev/dri
  }
  try {
    return fs.readdirSync(devices).some((name) => /^nvidia\d+$/.test(name));
  } catch {
    return false;
  }
}

/**
 * Switches to the webgpu backend if it may be used, recording why or why not in `notes`.
 * 'auto' needs a hardware adapter; both modes need the self-check to pass, since a driver
 * that gives wrong numbers must not train. Returns null (backend unchanged or undefined) when
 * it is not used; the 'explicit' caller turns that into an error from the notes.
 */
export async function tryWebGpu(mode: 'auto' | 'explicit', notes: string[], deps: TryWebGpuDeps = {}): Promise<WebGpuChoice | null> {
  if (mode === 'auto' && !deps.probe && !gpuDeviceNodePresent()) {
    // Probing loads Dawn, which prints warnings from native code in every worker; on Linux a
    // hardware adapter needs a GPU device node, so without one there is nothing 'auto' could take.
    notes.push('webgpu not probed: no GPU device (/dev/dri/renderD*, /dev/nvidia*) on this Linux machine');
    return null;
  }
  const probe = await (deps.probe ?? probeAdapter)();
  if (!probe.facts) {
    notes.push(`webgpu unavailable: ${probe.problem ?? 'no adapter'}`);
    return null;
  }
  if (mode === 'auto') {
    const verdict = autoVerdict(probe.facts);
    if (!verdict.eligible) {
      notes.push(`webgpu not chosen: ${verdict.reason}`);
      return null;
    }
  }
  notes.push(`webgpu adapter: ${describeAdapter(probe.facts)}`);
  try {
    await registerFactory();
    // Gradient functions live in tfjs-layers' bundle (core's CommonJS build registers none);
    // loaded here, not at the top, so listing backends stays cheap.
    require('@tensorflow/tfjs-layers');
    takeWebGpuErrors();
    const limit = SELF_CHECK_TIMEOUT_S[mode];
    const check = await withTimeout((deps.check ?? selfCheck)(WEBGPU_NAME), limit * 1000, `the self-check did not finish within ${limit} s`);
    const errors = takeWebGpuErrors();
    if (errors.length > 0) Object.assign(check, { ok: false, problem: `the GPU reported errors: ${errors.join(' | ')}` });
    const summary = `one training step of a tiny conv net, worst relative difference from cpu ${check.worst.relativeError.toExponential(1)} (${check.worst.name}), ${check.seconds.toFixed(1)} s`;
    if (!check.ok) {
      notes.push(`webgpu self-check failed: ${check.problem}; ${summary}`);
      await dropBackend();
      return null;
    }
    notes.push(`webgpu self-check passed: ${summary}`);
  } catch (error) {
    notes.push(`webgpu failed: ${firstLine(error)}`);
    await dropBackend();
    return null;
  }
  const version = packageVersion(TFJS_WEBGPU_PACKAGE);
  notes.push(`using ${TFJS_WEBGPU_PACKAGE} ${version} on Dawn (${DAWN_PACKAGE} ${packageVersion(DAWN_PACKAGE)})${isSoftwareAdapter(probe.facts) ? ' — a software adapter: expect it to be slower than wasm' : ''}`);
  return { name: WEBGPU_NAME, package: TFJS_WEBGPU_PACKAGE, version };
}

/** Frees the GPU device of a backend that will not be used, keeping the factory for a later request. */
async function dropBackend(): Promise<void> {
  try {
    if (tf.getBackend() === WEBGPU_NAME) await tf.setBackend('cpu');
    if (tf.engine().registry[WEBGPU_NAME]) {
      tf.removeBackend(WEBGPU_NAME);
      factoryRegistered = false;
      await registerFactory();
    }
  } catch {
    // Best effort: the caller goes on to the next backend either way.
  }
}

export interface WebGpuAvailability {
  name: string;
  available: boolean;
  reason?: string;
  /** Whether 'auto' would try it (it then still runs the self-check). */
  autoEligible: boolean;
}

/** For the backend list: available means an adapter exists, so it can be requested by name. */
export async function webGpuAvailability(): Promise<WebGpuAvailability> {
  const probe = await probeAdapter();
  if (!probe.facts) return { name: WEBGPU_NAME, available: false, reason: `${probe.problem ?? 'no adapter'}. ${WEBGPU_ADVICE}`, autoEligible: false };
  const verdict = autoVerdict(probe.facts);
  return verdict.eligible
    ? { name: WEBGPU_NAME, available: true, autoEligible: true }
    : { name: WEBGPU_NAME, available: true, reason: verdict.reason, autoEligible: false };
}


