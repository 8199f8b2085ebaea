import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeBackend, type BackendVerdict } from './backend-probe';
import { autoChoice, buildDoctorReport, doctorReportSchema, findings, formatDoctorReport } from './report';
import type { SystemFacts } from './system-facts';

test("the doctor's report on this machine has every part, and says why tensorflow is unavailable", async () => {
  const report = doctorReportSchema.parse(await buildDoctorReport({ seconds: 0 }));
  assert.deepEqual(report.backends.map((b) => b.name), ['tensorflow', 'webgpu', 'wasm', 'cpu']);
  const tensorflow = report.backends[0]!;
  // The build machines cannot install libtensorflow; where it is installed this part does not apply.
  if (!tensorflow.usable) {
    assert.match(tensorflow.reason ?? '', /@tensorflow\/tfjs-node.*(not installed|failed to load)/);
    assert.match(tensorflow.reason ?? '', /libtensorflow/);
    assert.ok(report.findings.some((f) => f.startsWith('tensorflow: unavailable — ')));
  }
  const wasm = report.backends.find((b) => b.name === 'wasm')!;
  assert.equal(wasm.usable, true);
  assert.match(wasm.notes.join('\n'), /tfjs-backend-wasm/);
  assert.equal(wasm.throughput, null, 'no probe with seconds 0');
  assert.ok(report.autoChoice !== null);
  assert.equal(report.workload.seconds, 0);
  assert.equal(report.system.platform, process.platform);
  const text = formatDoctorReport(report);
  for (const heading of ['Findings', 'GPUs and drivers', 'Vulkan ICDs', 'CUDA libraries', 'Backends']) assert.match(text, new RegExp(`^${heading}`, 'm'));
});

test('the throughput probe trains a usable backend and gives a rate', async () => {
  const verdict = await probeBackend({ backend: 'wasm', seconds: 1 });
  assert.equal(verdict.usable, true);
  assert.ok(verdict.throughput && verdict.throughput.steps >= 1, JSON.stringify(verdict.throughput));
  assert.ok((verdict.throughput.trainImagesPerSecond ?? 0) > 0);
});

const NOTHING: SystemFacts = { platform: 'linux', gpus: [], deviceNodes: [], nvidiaKernelDriver: null, vulkanIcds: [], vulkanLoader: null, cudaLibraries: [], missingTools: [] };
const verdict = (name: BackendVerdict['name'], usable: boolean, notes: string[] = []): BackendVerdict => ({ name, usable, notes, throughput: null, ...(usable ? {} : { reason: `${name} is missing` }) });

test("findings explain a GPU box's gaps: no Vulkan driver for the NVIDIA GPU, CUDA too new for tfjs-node-gpu", () => {
  const system: SystemFacts = {
    ...NOTHING,
    gpus: [{ source: 'nvidia-smi', name: 'NVIDIA H200', driver: '550.54.15', memoryMiB: 143771 }],
    deviceNodes: ['/dev/nvidia0'],
    nvidiaKernelDriver: '550.54.15',
    vulkanLoader: '/lib/x86_64-linux-gnu/libvulkan.so.1',
    cudaLibraries: [{ library: 'libcudart', soname: 'libcudart.so.12', path: '/usr/local/cuda/lib64/libcudart.so.12' }],
  };
  const said = findings(system, [verdict('tensorflow', false), verdict('wasm', true)]).join('\n');
  assert.match(said, /GPU seen: NVIDIA H200/);
  assert.match(said, /NVIDIA kernel driver 550\.54\.15 is loaded/);
  assert.match(said, /No Vulkan driver .*NVIDIA driver's Vulkan part/);
  assert.match(said, /libcudart\.so\.12.*needs CUDA 11/);
  assert.doesNotMatch(said, /Vulkan loader/);
  assert.match(said, /'auto' trains on wasm here/);
  assert.match(findings(NOTHING, []).join('\n'), /No GPU seen.*no \/dev\/dri.*\n.*Vulkan loader \(libvulkan\.so\.1\) is not installed/);
});

test("'auto' is described as selectBackend orders it: webgpu only on a hardware adapter", () => {
  const software = verdict('webgpu', true, ['webgpu adapter: "llvmpipe" (vendor mesa, software (fallback) adapter)']);
  const hardware = verdict('webgpu', true, ['webgpu adapter: "NVIDIA H200" (vendor nvidia, hardware adapter)']);
  assert.equal(autoChoice([verdict('tensorflow', false), software, verdict('wasm', true), verdict('cpu', true)]), 'wasm');
  assert.equal(autoChoice([verdict('tensorflow', false), hardware, verdict('wasm', true)]), 'webgpu');
  assert.equal(autoChoice([verdict('tensorflow', true), hardware]), 'tensorflow');
  assert.equal(autoChoice([verdict('cpu', false)]), null);
});
