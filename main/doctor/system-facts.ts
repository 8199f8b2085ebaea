import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * What the operating system says about GPUs, their drivers, Vulkan and CUDA, for `losslab
 * doctor`. The parsers are pure functions of each tool's text (tested on fixture strings); the
 * gatherer runs the tools through a seam, so a missing tool is a fact ("not found"), not a crash.
 */

export const gpuSeenSchema = z.object({
  /** Where it was seen: 'lspci' or 'nvidia-smi'. */
  source: z.enum(['lspci', 'nvidia-smi']),
  name: z.string(),
  /** lspci: PCI slot and class ('VGA compatible controller', '3D controller'…). */
  slot: z.string().optional(),
  kind: z.string().optional(),
  /** nvidia-smi: driver version and memory. */
  driver: z.string().optional(),
  memoryMiB: z.number().optional(),
});
export type GpuSeen = z.infer<typeof gpuSeenSchema>;

export const vulkanIcdSchema = z.object({
  file: z.string(),
  /** The driver library the loader opens, as the manifest names it. */
  library: z.string().nullable(),
  apiVersion: z.string().nullable(),
  /** Who makes the driver, guessed from the library name; 'software' for lavapipe and the like. */
  vendor: z.string(),
  problem: z.string().optional(),
});
export type VulkanIcd = z.infer<typeof vulkanIcdSchema>;

export const cudaLibrarySchema = z.object({ library: z.string(), soname: z.string(), path: z.string() });
export type CudaLibrary = z.infer<typeof cudaLibrarySchema>;

export const systemFactsSchema = z.object({
  platform: z.string(),
  gpus: z.array(gpuSeenSchema),
  /** /dev/dri/* and /dev/nvidia* (Linux): a GPU driver exposes these to user programs. */
  deviceNodes: z.array(z.string()),
  /** From /proc/driver/nvidia/version, where the NVIDIA kernel module is loaded. */
  nvidiaKernelDriver: z.string().nullable(),
  vulkanIcds: z.array(vulkanIcdSchema),
  /** The Vulkan loader (libvulkan.so.1) Dawn opens, as ldconfig knows it; null when absent. */
  vulkanLoader: z.string().nullable(),
  cudaLibraries: z.array(cudaLibrarySchema),
  /** Tools that were not there to ask (lspci, nvidia-smi, ldconfig). */
  missingTools: z.array(z.string()),
});
export type SystemFacts = z.infer<typeof systemFactsSchema>;

const DISPLAY_CLASSES = /^(VGA compatible controller|3D controller|Display controller)$/;

/** `lspci` lines such as "01:00.0 3D controller: NVIDIA Corporation GH100 [H200] (rev a1)". */
export function parseLspci(text: string): GpuSeen[] {
  const gpus: GpuSeen[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\S+)\s+([^:]+):\s+(.+?)\s*$/.exec(line);
    if (!match || !DISPLAY_CLASSES.test(match[2]!.trim())) continue;
    gpus.push({ source: 'lspci', slot: match[1]!, kind: match[2]!.trim(), name: match[3]!.replace(/\s*\(rev [0-9a-f]+\)$/i, '') });
  }
  return gpus;
}

/** The query LossLab asks nvidia-smi; parseNvidiaSmi reads its answer. */
export const NVIDIA_SMI_ARGS = ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'];

/** "NVIDIA H200, 550.54.15, 143771" per GPU (memory in MiB with nounits). */
export function parseNvidiaSmi(text: string): GpuSeen[] {
  return text
    .split('\n')
    .map((line) => line.split(',').map((field) => field.trim()))
    .filter((fields) => fields.length >= 3 && fields[0] !== '')
    .map(([name, driver, memory]) => {
      const memoryMiB = Number.parseInt(memory ?? '', 10);
      return { source: 'nvidia-smi' as const, name: name!, driver: driver!, ...(Number.isFinite(memoryMiB) ? { memoryMiB } : {}) };
    });
}

/** "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024" → "550.54.15". */
export function parseNvidiaProcVersion(text: string): string | null {
  const match = /NVRM version:.*?Kernel Module(?: for [^ ]+)?\s+([0-9][0-9.]*)/.exec(text) ?? /NVRM version:.*?\s([0-9]+\.[0-9]+(?:\.[0-9]+)?)\s/.exec(text);
  return match ? match[1]! : null;
}

const ICD_VENDORS: Array<[RegExp, string]> = [
  [/lvp|lavapipe|swiftshader|llvmpipe/i, 'software'],
  [/nvidia/i, 'NVIDIA'],
  [/radeon|amdvlk|amd/i, 'AMD'],
  [/intel|anv/i, 'Intel'],
  [/freedreno|turnip/i, 'Qualcomm'],
  [/panfrost|panvk/i, 'Arm Mali'],
  [/broadcom|v3dv/i, 'Broadcom'],
  [/virtio|venus|gfxstream/i, 'virtual'],
  [/dzn|dozen/i, 'Direct3D 12 (WSL)'],
];

/** A Vulkan ICD manifest (JSON: { "ICD": { "library_path", "api_version" } }). */
export function parseIcdManifest(file: string, text: string): VulkanIcd {
  const base = path.basename(file);
  try {
    const icd = (JSON.parse(text) as { ICD?: { library_path?: unknown; api_version?: unknown } }).ICD;
    const library = typeof icd?.library_path === 'string' ? icd.library_path : null;
    const apiVersion = typeof icd?.api_version === 'string' ? icd.api_version : null;
    const vendor = ICD_VENDORS.find(([pattern]) => pattern.test(`${base} ${library ?? ''}`))?.[1] ?? 'unknown';
    return { file, library, apiVersion, vendor, ...(library === null ? { problem: 'no ICD.library_path in the manifest' } : {}) };
  } catch (error) {
    return { file, library: null, apiVersion: null, vendor: 'unknown', problem: `not valid JSON: ${(error as Error).message}` };
  }
}

/** The libraries that tell whether CUDA can run: the driver's libcuda, the runtime, cuBLAS and cuDNN. */
export const CUDA_LIBRARIES = ['libcuda', 'libcudart', 'libcublas', 'libcudnn'] as const;

/** `ldconfig -p` lines such as "\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12", for the named libraries. */
export function parseLdconfig(text: string, libraries: readonly string[]): CudaLibrary[] {
  const found: CudaLibrary[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*((lib[\w+-]+)\.so[.\d]*)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
    if (!match || !libraries.includes(match[2]!)) continue;
    // Only this machine's architecture: a 32-bit libcuda beside the 64-bit one is no use to Node.
    if (process.arch === 'x64' && !match[3]!.includes('x86-64')) continue;
    found.push({ library: match[2]!, soname: match[1]!, path: match[4]! });
  }
  return found;
}

export const parseLdconfigCuda = (text: string): CudaLibrary[] => parseLdconfig(text, CUDA_LIBRARIES);

/** Seams: what the gatherer asks of the machine. */
export interface SystemProbes {
  /** stdout of a command, or null when it is not installed or fails. Asynchronous: nvidia-smi can take seconds, and the server must not stall meanwhile. */
  run(command: string, args: string[]): Promise<string | null>;
  readFile(file: string): string | null;
  readDir(dir: string): string[] | null;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

/** Where the Vulkan loader looks for ICD manifests on Linux, in its order. */
export function icdDirectories(env: NodeJS.ProcessEnv): string[] {
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter(Boolean);
  const dirs = [...configDirs, '/etc', ...dataDirs].map((d) => path.join(d, 'vulkan', 'icd.d'));
  if (env.HOME) dirs.push(path.join(env.HOME, '.local/share/vulkan/icd.d'));
  return [...new Set(dirs)];
}

function gatherIcds(probes: SystemProbes): VulkanIcd[] {
  // VK_DRIVER_FILES (VK_ICD_FILENAMES before it) replaces the search entirely.
  const override = probes.env.VK_DRIVER_FILES || probes.env.VK_ICD_FILENAMES;
  const files = override
    ? override.split(':').filter(Boolean)
    : icdDirectories(probes.env).flatMap((dir) => (probes.readDir(dir) ?? []).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)));
  return files.map((file) => {
    const text = probes.readFile(file);
    return text === null ? { file, library: null, apiVersion: null, vendor: 'unknown', problem: 'cannot be read' } : parseIcdManifest(file, text);
  });
}

export async function gatherSystemFacts(probes: SystemProbes = realProbes()): Promise<SystemFacts> {
  const missingTools: string[] = [];
  const ask = async (command: string, args: string[]): Promise<string | null> => {
    const out = await probes.run(command, args);
    if (out === null) missingTools.push(command);
    return out;
  };
  if (probes.platform !== 'linux') {
    // The device, ICD and ldconfig facts are Linux's; elsewhere Dawn's adapter says what there is.
    return { platform: probes.platform, gpus: [], deviceNodes: [], nvidiaKernelDriver: null, vulkanIcds: [], vulkanLoader: null, cudaLibraries: [], missingTools };
  }
  const lspci = await ask('lspci', []);
  const smi = await ask('nvidia-smi', NVIDIA_SMI_ARGS);
  const ldconfig = (await probes.run('ldconfig', ['-p'])) ?? (await probes.run('/sbin/ldconfig', ['-p']));
  if (ldconfig === null) missingTools.push('ldconfig');
  const procVersion = probes.readFile('/proc/driver/nvidia/version');
  const deviceNodes = [
    ...(probes.readDir('/dev/dri') ?? []).map((n) => `/dev/dri/${n}`),
    ...(probes.readDir('/dev') ?? []).filter((n) => /^nvidia/.test(n)).map((n) => `/dev/${n}`),
  ].sort();
  return {
    platform: probes.platform,
    gpus: [...(lspci ? parseLspci(lspci) : []), ...(smi ? parseNvidiaSmi(smi) : [])],
    deviceNodes,
    nvidiaKernelDriver: procVersion ? parseNvidiaProcVersion(procVersion) : null,
    vulkanIcds: gatherIcds(probes),
    vulkanLoader: ldconfig ? (parseLdconfig(ldconfig, ['libvulkan']).find((l) => l.soname === 'libvulkan.so.1')?.path ?? null) : null,
    cudaLibraries: ldconfig ? parseLdconfigCuda(ldconfig) : [],
    missingTools,
  };
}

export function realProbes(): SystemProbes {
  return {
    run(command, args) {
      return new Promise((resolve) => {
        execFile(command, args, { encoding: 'utf8', timeout: 10_000, maxBuffer: 16 * 2 ** 20 }, (error, stdout) => resolve(error ? null : stdout));
      });
    },
    readFile(file) {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return null;
      }
    },
    readDir(dir) {
      try {
        return fs.readdirSync(dir);
      } catch {
        return null;
      }
    },
    env: process.env,
    platform: process.platform,
  };
}
