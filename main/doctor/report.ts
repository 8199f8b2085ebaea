import os from 'node:os';
import { z } from 'zod';
import { backendVerdictSchema, PROBE_BACKENDS, PROBE_WORKLOAD, probeBackend, type BackendVerdict, type ProbeBackend } from './backend-probe';
import { gatherSystemFacts, systemFactsSchema, type SystemFacts } from './system-facts';
import { softwareVersions } from '../util/versions';

/**
 * `losslab doctor` and the app's Doctor panel: what this machine can train on, and why. The
 * system facts (GPUs, drivers, Vulkan ICDs, CUDA libraries) explain the backends' verdicts;
 * the findings put the two together in sentences.
 */

export const doctorReportSchema = z.object({
  createdAt: z.string(),
  machine: z.object({ platform: z.string(), arch: z.string(), cpus: z.number(), cpuModel: z.string(), memoryGiB: z.number(), node: z.string(), losslab: z.string() }),
  system: systemFactsSchema,
  backends: z.array(backendVerdictSchema),
  /** What 'auto' would train on here: the first usable backend in its order (webgpu only on a hardware adapter). */
  autoChoice: z.string().nullable(),
  workload: z.object({ network: z.string(), imageSize: z.number(), channels: z.number(), classes: z.number(), batch: z.number(), seconds: z.number() }),
  /** Plain-language conclusions, most important first. */
  findings: z.array(z.string()),
});
export type DoctorReport = z.infer<typeof doctorReportSchema>;

export interface DoctorOptions {
  /** Seconds of throughput probe per usable backend (0: no probe). */
  seconds?: number;
  backends?: readonly ProbeBackend[];
  /** Seams for tests. */
  gather?: () => Promise<SystemFacts>;
  probe?: typeof probeBackend;
}

export const DEFAULT_PROBE_SECONDS = 10;

export async function buildDoctorReport(options: DoctorOptions = {}): Promise<DoctorReport> {
  const seconds = options.seconds ?? DEFAULT_PROBE_SECONDS;
  const system = await (options.gather ?? gatherSystemFacts)();
  const backends: BackendVerdict[] = [];
  // One at a time: probes running together would measure each other.
  for (const backend of options.backends ?? PROBE_BACKENDS) backends.push(await (options.probe ?? probeBackend)({ backend, seconds }));
  return {
    createdAt: new Date().toISOString(),
    machine: {
      platform: process.platform,
      arch: process.arch,
      cpus: os.availableParallelism?.() ?? os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      losslab: softwareVersions().losslab ?? 'unknown',
    },
    system,
    backends,
    autoChoice: autoChoice(backends),
    workload: { ...PROBE_WORKLOAD, seconds },
    findings: findings(system, backends),
  };
}

/** 'auto' order: tensorflow, webgpu on a hardware adapter, wasm, cpu. */
export function autoChoice(backends: readonly BackendVerdict[]): string | null {
  const usable = (name: ProbeBackend) => backends.find((b) => b.name === name && b.usable);
  const webgpu = usable('webgpu');
  const hardware = webgpu && !webgpu.notes.some((n) => /software \(fallback\) adapter/.test(n));
  return usable('tensorflow')?.name ?? (hardware ? 'webgpu' : null) ?? usable('wasm')?.name ?? usable('cpu')?.name ?? null;
}

/**
 * tfjs-node-gpu 4.22 runs libtensorflow 2.9, built for CUDA 11.2 and cuDNN 8.1: CUDA 12 or
 * cuDNN 9 alone does not load it.
 */
const TFJS_GPU_NEEDS = 'CUDA 11 (libcudart.so.11.0) and cuDNN 8 (libcudnn.so.8)';

export function findings(system: SystemFacts, backends: readonly BackendVerdict[]): string[] {
  const out: string[] = [];
  const linux = system.platform === 'linux';
  const gpuNames = [...new Set(system.gpus.map((g) => g.name))];
  const nvidia = system.gpus.some((g) => /nvidia/i.test(g.name) || g.source === 'nvidia-smi') || system.nvidiaKernelDriver !== null;
  if (linux) {
    if (gpuNames.length === 0) {
      out.push(
        `No GPU seen: ${system.missingTools.includes('lspci') ? 'lspci is not installed (apt-get install pciutils)' : 'lspci lists no display or 3D controller'}` +
          `${system.deviceNodes.length === 0 ? ', and there is no /dev/dri or /dev/nvidia* device' : ''}.`,
      );
    } else {
      out.push(`GPU${gpuNames.length > 1 ? 's' : ''} seen: ${gpuNames.join('; ')}.`);
      if (system.deviceNodes.length === 0) out.push('No /dev/dri or /dev/nvidia* device: the GPU driver is not loaded, or this container was not given the GPU (docker: --gpus all or --device /dev/dri).');
    }
    if (nvidia) {
      out.push(system.nvidiaKernelDriver ? `NVIDIA kernel driver ${system.nvidiaKernelDriver} is loaded.` : 'An NVIDIA GPU is present but /proc/driver/nvidia/version is missing: the NVIDIA kernel driver is not loaded.');
    }
    if (system.vulkanLoader === null) out.push('The Vulkan loader (libvulkan.so.1) is not installed, so Dawn (WebGPU) cannot reach any GPU: apt-get install libvulkan1.');
    const hardwareIcds = system.vulkanIcds.filter((icd) => icd.vendor !== 'software' && !icd.problem);
    if (system.vulkanIcds.length === 0) {
      out.push(`No Vulkan driver (ICD manifest) installed, so Dawn (WebGPU) has nothing to run on: install ${nvidia ? "the NVIDIA driver's Vulkan part (libnvidia-gl / nvidia-vulkan-icd)" : 'your GPU vendor\'s Vulkan driver or mesa-vulkan-drivers'}.`);
    } else if (hardwareIcds.length === 0) {
      out.push(`Only software Vulkan drivers (${system.vulkanIcds.map((i) => i.file.split('/').pop()).join(', ')}): WebGPU would run on the CPU, slower than wasm.`);
    } else {
      out.push(`Vulkan drivers: ${hardwareIcds.map((i) => `${i.vendor} (${i.library})`).join(', ')}.`);
    }
    const cuda = new Set(system.cudaLibraries.map((l) => l.soname));
    if (system.cudaLibraries.length === 0) out.push(`No CUDA libraries known to ldconfig: @tensorflow/tfjs-node-gpu would need ${TFJS_GPU_NEEDS}.`);
    else if (!cuda.has('libcudart.so.11.0') || ![...cuda].some((s) => s.startsWith('libcudnn.so.8'))) out.push(`CUDA libraries found (${[...cuda].join(', ')}), but @tensorflow/tfjs-node-gpu needs ${TFJS_GPU_NEEDS}.`);
  }
  for (const backend of backends) {
    if (!backend.usable) {
      out.push(`${backend.name}: unavailable — ${backend.reason ?? 'no reason given'}`);
      continue;
    }
    const rate = backend.throughput?.trainImagesPerSecond;
    out.push(`${backend.name}: usable${rate != null ? `, trains LossLab's default network at ${rate} images/s` : backend.throughput?.problem ? ` (${backend.throughput.problem})` : ''}.`);
  }
  const chosen = autoChoice(backends);
  out.push(chosen ? `'auto' trains on ${chosen} here.` : "Nothing usable: reinstall LossLab's dependencies.");
  return out;
}

/** The report as text for a terminal. */
export function formatDoctorReport(report: DoctorReport): string {
  const { machine, system } = report;
  const lines = [
    `LossLab ${machine.losslab} on ${machine.platform}-${machine.arch}, Node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB`,
    '',
    'Findings',
    ...report.findings.map((f) => `  - ${f}`),
    '',
    'GPUs and drivers',
    ...(system.gpus.length ? system.gpus.map((g) => `  ${g.source}: ${g.name}${g.driver ? `, driver ${g.driver}` : ''}${g.memoryMiB ? `, ${g.memoryMiB} MiB` : ''}${g.slot ? ` [${g.slot}]` : ''}`) : ['  none seen']),
    `  devices: ${system.deviceNodes.join(' ') || 'none'}`,
    `  NVIDIA kernel driver: ${system.nvidiaKernelDriver ?? 'not loaded'}`,
    ...(system.missingTools.length ? [`  not installed: ${system.missingTools.join(', ')}`] : []),
    `Vulkan loader: ${system.vulkanLoader ?? 'not installed (libvulkan.so.1)'}`,
    'Vulkan ICDs',
    ...(system.vulkanIcds.length ? system.vulkanIcds.map((i) => `  ${i.file}: ${i.vendor}, ${i.library ?? '?'}${i.apiVersion ? `, Vulkan ${i.apiVersion}` : ''}${i.problem ? ` (${i.problem})` : ''}`) : ['  none']),
    'CUDA libraries (ldconfig)',
    ...(system.cudaLibraries.length ? system.cudaLibraries.map((l) => `  ${l.soname} => ${l.path}`) : ['  none']),
    '',
    `Backends (throughput: ${report.workload.network}, ${report.workload.imageSize} px, batch ${report.workload.batch}, ${report.workload.seconds} s each)`,
  ];
  for (const b of report.backends) {
    const t = b.throughput;
    lines.push(`  ${b.name}: ${b.usable ? `usable (${b.package} ${b.version})` : 'unavailable'}`);
    if (!b.usable) lines.push(`    why: ${b.reason ?? '?'}`);
    for (const note of b.notes) lines.push(`    ${note}`);
    if (t) lines.push(`    training: ${t.trainImagesPerSecond ?? '—'} images/s over ${t.steps} step(s)${t.firstStepSeconds !== null ? `, first step ${t.firstStepSeconds} s` : ''}${t.problem ? ` (${t.problem})` : ''}`);
  }
  lines.push('', `'auto' would train on: ${report.autoChoice ?? 'nothing'}`);
  return `${lines.join('\n')}\n`;
}
