import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatherSystemFacts, icdDirectories, parseIcdManifest, parseLdconfig, parseLdconfigCuda, parseLspci, parseNvidiaProcVersion, parseNvidiaSmi, type SystemProbes } from './system-facts';

// Outputs as the tools print them (an H200 box, a laptop with Intel + NVIDIA, a lavapipe-only container).
const LSPCI = `00:00.0 Host bridge: Intel Corporation 440FX - 82441FX PMC [Natoma] (rev 02)
00:02.0 VGA compatible controller: Intel Corporation Alder Lake-P GT2 [Iris Xe Graphics] (rev 0c)
01:00.0 3D controller: NVIDIA Corporation GH100 [H200 SXM 141GB] (rev a1)
02:00.0 Ethernet controller: Intel Corporation Ethernet Controller E810-C for QSFP (rev 02)
03:00.0 Display controller: Advanced Micro Devices, Inc. [AMD/ATI] Navi 31
`;
const NVIDIA_SMI = 'NVIDIA H200, 550.54.15, 143771\nNVIDIA H200, 550.54.15, 143771\n';
const PROC_VERSION = `NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024
GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)
`;
const PROC_VERSION_OPEN = 'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build  (dvs-builder@U16-I3-A16-1-1)  Thu Jan 30 2025\n';
const LDCONFIG = `1234 libs found in cache \`/etc/ld.so.cache'
	libvulkan.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libvulkan.so.1
	libcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8
	libcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda-11.8/lib64/libcudart.so.11.0
	libcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12
	libcuda.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libcuda.so.1
	libcuda.so.1 (libc6) => /lib/i386-linux-gnu/libcuda.so.1
	libcudart_static.a (libc6,x86-64) => /nope
	libcublasLt.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcublasLt.so.12
	libcublas.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcublas.so.12
	libc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6
`;

test('lspci: display, VGA and 3D controllers are GPUs; other devices are not', () => {
  assert.deepEqual(parseLspci(LSPCI), [
    { source: 'lspci', slot: '00:02.0', kind: 'VGA compatible controller', name: 'Intel Corporation Alder Lake-P GT2 [Iris Xe Graphics]' },
    { source: 'lspci', slot: '01:00.0', kind: '3D controller', name: 'NVIDIA Corporation GH100 [H200 SXM 141GB]' },
    { source: 'lspci', slot: '03:00.0', kind: 'Display controller', name: 'Advanced Micro Devices, Inc. [AMD/ATI] Navi 31' },
  ]);
  assert.deepEqual(parseLspci(''), []);
});

test('nvidia-smi CSV and /proc/driver/nvidia/version give the GPUs and the driver version', () => {
  assert.deepEqual(parseNvidiaSmi(NVIDIA_SMI), [
    { source: 'nvidia-smi', name: 'NVIDIA H200', driver: '550.54.15', memoryMiB: 143771 },
    { source: 'nvidia-smi', name: 'NVIDIA H200', driver: '550.54.15', memoryMiB: 143771 },
  ]);
  assert.deepEqual(parseNvidiaSmi('NVIDIA T4, 535.1, [N/A]\n'), [{ source: 'nvidia-smi', name: 'NVIDIA T4', driver: '535.1' }]);
  assert.equal(parseNvidiaProcVersion(PROC_VERSION), '550.54.15');
  assert.equal(parseNvidiaProcVersion(PROC_VERSION_OPEN), '570.86.15');
  assert.equal(parseNvidiaProcVersion('garbage'), null);
});

test('Vulkan ICD manifests: library, API version and vendor; a broken manifest says why', () => {
  const nvidia = parseIcdManifest('/usr/share/vulkan/icd.d/nvidia_icd.json', '{"file_format_version":"1.0.1","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.277"}}');
  assert.deepEqual(nvidia, { file: '/usr/share/vulkan/icd.d/nvidia_icd.json', library: 'libGLX_nvidia.so.0', apiVersion: '1.3.277', vendor: 'NVIDIA' });
  assert.equal(parseIcdManifest('/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '{"ICD":{"library_path":"/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so","api_version":"1.4.305"}}').vendor, 'software');
  assert.equal(parseIcdManifest('/usr/share/vulkan/icd.d/radeon_icd.x86_64.json', '{"ICD":{"library_path":"libvulkan_radeon.so"}}').vendor, 'AMD');
  assert.equal(parseIcdManifest('/usr/share/vulkan/icd.d/intel_icd.x86_64.json', '{"ICD":{"library_path":"libvulkan_intel.so"}}').vendor, 'Intel');
  assert.match(parseIcdManifest('/x/bad.json', '{ nope').problem ?? '', /not valid JSON/);
  assert.match(parseIcdManifest('/x/empty.json', '{}').problem ?? '', /library_path/);
});

test('ldconfig -p: CUDA driver, runtime, cuBLAS and cuDNN of this architecture, and the Vulkan loader', { skip: process.arch !== 'x64' && 'fixture is x86-64' }, () => {
  assert.deepEqual(
    parseLdconfigCuda(LDCONFIG).map((l) => l.soname),
    ['libcudnn.so.8', 'libcudart.so.11.0', 'libcudart.so.12', 'libcuda.so.1', 'libcublas.so.12'],
  );
  assert.deepEqual(parseLdconfig(LDCONFIG, ['libvulkan']), [{ library: 'libvulkan', soname: 'libvulkan.so.1', path: '/lib/x86_64-linux-gnu/libvulkan.so.1' }]);
});

test('gathering asks the tools and files through its seam; absent tools are reported, not fatal', async () => {
  const files: Record<string, string> = {
    '/proc/driver/nvidia/version': PROC_VERSION,
    '/etc/vulkan/icd.d/nvidia_icd.json': '{"ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.277"}}',
  };
  const dirs: Record<string, string[]> = { '/dev/dri': ['card0', 'renderD128'], '/dev': ['null', 'nvidia0', 'nvidiactl', 'dri'], '/etc/vulkan/icd.d': ['nvidia_icd.json', 'README'] };
  const probes: SystemProbes = {
    run: async (command) => (command === 'nvidia-smi' ? NVIDIA_SMI : command === 'ldconfig' ? LDCONFIG : null),
    readFile: (file) => files[file] ?? null,
    readDir: (dir) => dirs[dir] ?? null,
    env: { XDG_DATA_DIRS: '/usr/share' },
    platform: 'linux',
  };
  const facts = await gatherSystemFacts(probes);
  assert.deepEqual(facts.missingTools, ['lspci']);
  assert.deepEqual(facts.deviceNodes, ['/dev/dri/card0', '/dev/dri/renderD128', '/dev/nvidia0', '/dev/nvidiactl']);
  assert.equal(facts.nvidiaKernelDriver, '550.54.15');
  assert.equal(facts.gpus.length, 2);
  assert.deepEqual(facts.vulkanIcds.map((i) => i.vendor), ['NVIDIA']);
  assert.equal(facts.vulkanLoader, process.arch === 'x64' ? '/lib/x86_64-linux-gnu/libvulkan.so.1' : null);
  // VK_DRIVER_FILES replaces the search, as in the Vulkan loader.
  const overridden = await gatherSystemFacts({ ...probes, env: { VK_DRIVER_FILES: '/opt/lvp.json' }, readFile: (f) => (f === '/opt/lvp.json' ? '{"ICD":{"library_path":"libvulkan_lvp.so"}}' : null) });
  assert.deepEqual(overridden.vulkanIcds.map((i) => [i.file, i.vendor]), [['/opt/lvp.json', 'software']]);
  assert.ok(icdDirectories({}).includes('/usr/share/vulkan/icd.d'));
});
