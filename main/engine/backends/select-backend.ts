import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './wasm-training-kernels';
import { tryWebGpu, webGpuAvailability, WEBGPU_ADVICE } from './webgpu';
import { firstLine, packageVersion } from './describe';
import { adviseHugePagesFor, describeNativeKernels } from './native-kernels';
import { backendMemory } from './simd/instantiate';

/**
 * Picks the TensorFlow.js backend a training process runs on, fastest first:
 *   tensorflow (@tensorflow/tfjs-node-gpu) → tensorflow (@tensorflow/tfjs-node) → webgpu → wasm → cpu.
 * The native packages are optional dependencies whose install downloads libtensorflow, so
 * they are often absent; 'auto' then falls through to wasm (with LossLab's training kernels,
 * ~300x faster than cpu for CNN training) and finally the pure-JS cpu backend. 'auto' takes
 * webgpu (./webgpu.ts) only on a hardware adapter that passes a training-step self-check.
 */
export type BackendRequest = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend now active: 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  name: string;
  requested: string;
  /** npm package that provides it. */
  package: string;
  version: string;
  /** What was tried and why it was or was not used, in order. */
  notes: string[];
}

export interface BackendAvailability {
  name: string;
  available: boolean;
  reason?: string;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const CPU_PACKAGE = '@tensorflow/tfjs-backend-cpu';
const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

const TENSORFLOW_ADVICE =
  "The 'tensorflow' backend needs @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA), " +
  'whose install script downloads libtensorflow from storage.googleapis.com. Run ' +
  '`npm install @tensorflow/tfjs-node` in the LossLab folder on a machine with internet access, ' +
  "or choose the 'wasm' backend (or 'auto'), which needs no download.";

export async function selectBackend(requested: BackendRequest): Promise<BackendInfo> {
  const notes: string[] = [];
  switch (requested) {
    case 'tensorflow': {
      const native = await tryNative(notes);
      if (native) return { ...native, requested, notes };
      throw new Error(`${TENSORFLOW_ADVICE} (${notes.join('; ')})`);
    }
    case 'webgpu': {
      const webgpu = await tryWebGpu('explicit', notes);
      if (webgpu) return { ...webgpu, requested, notes };
      throw new Error(`The 'webgpu' backend cannot be used here (${notes.join('; ')}). ${WEBGPU_ADVICE}`);
    }
    case 'wasm': {
      const wasm = await tryWasm(notes);
      if (wasm) return { ...wasm, requested, notes };
      throw new Error(
        `The 'wasm' backend could not start (${notes.join('; ')}). Reinstall LossLab's dependencies ` +
          `(\`npm install\`) so that ${WASM_PACKAGE}/dist holds its .wasm files, or choose 'cpu'.`,
      );
    }
    case 'cpu':
      return { ...(await useCpu(notes)), requested, notes };
    case 'auto': {
      const chosen = (await tryNative(notes)) ?? (await tryWebGpu('auto', notes)) ?? (await tryWasm(notes)) ?? (await useCpu(notes));
      return { ...chosen, requested, notes };
    }
    default:
      throw new Error(`Unknown backend '${String(requested)}': use 'auto', 'tensorflow', 'webgpu', 'wasm' or 'cpu'.`);
  }
}

/**
 * What `selectBackend` could use here, without switching the active backend, in the order
 * 'auto' tries them: webgpu comes before wasm only on a hardware adapter, and is listed last
 * (still requestable by name) when 'auto' would never choose it.
 */
export async function listBackends(): Promise<BackendAvailability[]> {
  const nativeNotes: string[] = [];
  // Stop at the first binding that loads: loading both registers every kernel twice.
  let native: string | null = null;
  for (const pkg of NATIVE_PACKAGES) {
    native = loadNative(pkg, nativeNotes);
    if (native !== null) break;
  }
  const wasmProblem = wasmUnavailableReason();
  const { autoEligible, ...webgpu } = await webGpuAvailability();
  return [
    native ? { name: 'tensorflow', available: true } : { name: 'tensorflow', available: false, reason: nativeNotes.join('; ') },
    ...(autoEligible ? [webgpu] : []),
    wasmProblem === null ? { name: 'wasm', available: true } : { name: 'wasm', available: false, reason: wasmProblem },
    { name: 'cpu', available: true },
    ...(autoEligible ? [] : [webgpu]),
  ];
}

type Chosen = Omit<BackendInfo, 'requested' | 'notes'>;

async function tryNative(notes: string[]): Promise<Chosen | null> {
  for (const pkg of NATIVE_PACKAGES) {
    const version = loadNative(pkg, notes);
    if (version === null) continue;
    if (await switchTo('tensorflow', notes)) {
      notes.push(`using ${pkg} ${version}`);
      return { name: 'tensorflow', package: pkg, version };
    }
  }
  return null;
}

/**
 * Requires a native package (which registers the 'tensorflow' backend as a side effect).
 * Returns its version, or null with a note when it is not installed or its binding fails.
 */
function loadNative(pkg: string, notes: string[]): string | null {
  try {
    // A computed name keeps bundlers and TypeScript from resolving these optional packages.
    const load: (id: string) => unknown = require;
    load(pkg);
    return packageVersion(pkg);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    notes.push(
      // Only "Cannot find module '<pkg>'" means absent; a missing file inside it is a broken install.
      code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${pkg}'`)
        ? `${pkg} is not installed`
        : `${pkg} failed to load: ${firstLine(error)}`,
    );
    return null;
  }
}

async function tryWasm(notes: string[]): Promise<Chosen | null> {
  const problem = wasmUnavailableReason();
  if (problem !== null) {
    notes.push(`wasm unavailable: ${problem}`);
    return null;
  }
  // Paths are fixed before the first initialisation only; after that the backend exists.
  if (!(WASM_NAME in tf.engine().registry)) {
    try {
      setWasmPaths(wasmBinaryMap());
    } catch (error) {
      notes.push(`wasm: ${firstLine(error)}`);
    }
  }
  registerWasmTrainingKernels();
  if (!(await switchTo(WASM_NAME, notes))) return null;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const memory = backendMemory(tf.backend() as unknown as { wasm: unknown });
  if (memory !== null) adviseHugePagesFor(memory);
  notes.push(`using ${WASM_PACKAGE} ${version_wasm} (SIMD ${simd ? 'on' : 'off'}, ${getThreadsCount()} thread(s)) with LossLab's training kernels; ${describeNativeKernels()}`);
  return { name: WASM_NAME, package: WASM_PACKAGE, version: version_wasm };
}

async function useCpu(notes: string[]): Promise<Chosen> {
  if (!(await tf.setBackend('cpu'))) throw new Error('The cpu backend failed to initialise; is @tensorflow/tfjs-backend-cpu installed?');
  notes.push(`using ${CPU_PACKAGE} ${version_cpu} (plain JavaScript: CNN training is several hundred times slower than wasm)`);
  return { name: 'cpu', package: CPU_PACKAGE, version: version_cpu };
}

const WASM_NAME = 'wasm';

/** Absolute paths of the .wasm files, found from the package itself so any install layout works. */
export function wasmBinaryMap(): Record<string, string> {
  const dir = wasmDistDir();
  return Object.fromEntries(WASM_BINARIES.map((name) => [name, path.join(dir, name)]));
}

function wasmDistDir(): string {
  // The package's main file lives in dist/, next to the binaries.
  return path.dirname(require.resolve(WASM_PACKAGE));
}

function wasmUnavailableReason(): string | null {
  if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object') return 'this JavaScript runtime has no WebAssembly';
  let dir: string;
  try {
    dir = wasmDistDir();
  } catch (error) {
    return `${WASM_PACKAGE} is not installed (${firstLine(error)})`;
  }
  // Without SIMD tfjs loads the plain binary; with it, the -simd one. Both must be present.
  const missing = WASM_BINARIES.slice(0, 2).filter((name) => !fs.existsSync(path.join(dir, name)));
  return missing.length > 0 ? `missing ${missing.join(', ')} in ${dir}` : null;
}

async function switchTo(name: string, notes: string[]): Promise<boolean> {
  try {
    if (await tf.setBackend(name)) return true;
    notes.push(`${name} backend failed to initialise`);
  } catch (error) {
    notes.push(`${name} backend failed to initialise: ${firstLine(error)}`);
  }
  return false;
}


