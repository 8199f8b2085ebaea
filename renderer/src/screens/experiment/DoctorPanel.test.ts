import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import DoctorPanel from './DoctorPanel.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import type { Responses } from '../../../../main/api/contract';

const REPORT: Responses['doctor.report'] = {
  createdAt: '2026-12-04T05:00:00.000Z',
  machine: { platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'AMD EPYC', memoryGiB: 23.5, node: 'v22.23.5', losslab: '0.1.0' },
  system: { platform: 'linux', gpus: [], deviceNodes: [], nvidiaKernelDriver: null, vulkanIcds: [], vulkanLoader: null, cudaLibraries: [], missingTools: ['lspci'] },
  backends: [
    { name: 'tensorflow', usable: false, notes: [], reason: '@tensorflow/tfjs-node is not installed', throughput: null },
    { name: 'webgpu', usable: false, notes: [], reason: 'Dawn found no WebGPU adapter', throughput: null },
    { name: 'wasm', usable: true, package: '@tensorflow/tfjs-backend-wasm', version: '4.22.0', notes: [], throughput: { trainImagesPerSecond: 750.5, steps: 60, firstStepSeconds: 0.4, seconds: 5 } },
    { name: 'cpu', usable: true, package: '@tensorflow/tfjs-backend-cpu', version: '4.22.0', notes: [], throughput: { trainImagesPerSecond: null, steps: 0, firstStepSeconds: null, seconds: 15, problem: 'no training step finished within 15 s' } },
  ],
  autoChoice: 'wasm',
  workload: { network: 'cnn (width 16, depth 3)', imageSize: 32, channels: 3, classes: 10, batch: 32, seconds: 5 },
  findings: ['No GPU seen: lspci is not installed (apt-get install pciutils).', "'auto' trains on wasm here."],
};

describe('DoctorPanel', () => {
  it('asks for the report only when told, then shows the findings and each backend', async () => {
    const requests: unknown[] = [];
    const { client } = fakeClient({
      'doctor.report': (request) => {
        requests.push(request);
        return REPORT;
      },
    });
    render(DoctorPanel, { app: new AppState(client), seconds: 5 });
    expect(requests).toEqual([]);
    await fireEvent.click(screen.getByRole('button', { name: 'Run the check' }));
    await waitFor(() => expect(screen.getByTestId('doctor-findings').textContent).toContain('lspci is not installed'));
    expect(requests).toEqual([{ seconds: 5 }]);
    const rows = screen.getAllByRole('row').slice(1).map((row) => [...row.querySelectorAll('th, td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['tensorflow', 'unavailable', '—'],
      ['webgpu', 'unavailable', '—'],
      ['wasm (auto)', 'usable', '750.5'],
      ['cpu', 'usable', 'no training step finished within 15 s'],
    ]);
    expect(screen.getByRole('button', { name: 'Check again' })).toBeTruthy();
  });

  it('says so when the check fails', async () => {
    const { client } = fakeClient({
      'doctor.report': () => {
        throw new Error('server gone');
      },
    });
    render(DoctorPanel, { app: new AppState(client) });
    await fireEvent.click(screen.getByRole('button', { name: 'Run the check' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('server gone'));
  });
});
