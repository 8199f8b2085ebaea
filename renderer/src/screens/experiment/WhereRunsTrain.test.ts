import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import StartBar from './StartBar.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import type { AppInfo, QueueWorkers, SeenWorker } from '../../../../main/api/contract';
import '../../test/no-layout';

const info = (mode: AppInfo['mode']): AppInfo => ({ mode, version: '0', platform: 'linux-x64', dataDir: '/d', browseRoot: null, features: { nativeDialogs: mode === 'desktop', folderBrowser: false, export: true } });
const QUEUE = 'redis://:***@redis.lab:6379';
const worker: SeenWorker = { name: 'gpu-box:41', host: 'gpu-box', backend: 'webgpu', concurrency: 1, state: 'idle', runs: [], imagesPerSecond: 0, seenAt: 0, secondsSinceSeen: 1 };

/**
 * A desktop app whose main process answers the queue calls as create-services does: `chosen` is
 * the main process's choice (the URL without its password), which connect and disconnect change.
 */
function desktopApp(connectAnswer: (url: string) => Promise<string> = async () => QUEUE, chosen: string | null = null) {
  const { client, transport } = fakeClient(
    {
      'queue.workers': (): QueueWorkers => ({ queue: chosen, workers: chosen ? [worker] : [] }),
      'queue.connect': async ({ url }) => {
        chosen = await connectAnswer(url);
        return { queue: chosen };
      },
      'queue.disconnect': () => {
        chosen = null;
        return { queue: null };
      },
    },
    'desktop',
  );
  const app = new AppState(client, null);
  app.info = info('desktop');
  return { app, transport };
}

const radio = (name: string) => screen.getByRole('radio', { name }) as HTMLInputElement;

describe('Where runs train (desktop)', () => {
  it('trains on this computer by default; connecting hands runs to the queue, shows it without the password and clears the field', async () => {
    const { app, transport } = desktopApp();
    render(StartBar, { app });
    await waitFor(() => expect(transport.calls.map((call) => call.channel)).toEqual(['queue.workers']));
    expect(radio('This computer').checked).toBe(true);
    expect(screen.queryByRole('textbox', { name: 'Redis URL' })).toBeNull();

    await fireEvent.click(radio('Queue workers (Redis)'));
    const field = screen.getByRole('textbox', { name: 'Redis URL' }) as HTMLInputElement;
    await fireEvent.input(field, { target: { value: ' redis://:hunter2@redis.lab:6379 ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));

    await screen.findByText(QUEUE, { selector: '.connected .mono' });
    // The images go through Redis unless the user unticks it: other machines rarely have this folder.
    expect(transport.calls.find((call) => call.channel === 'queue.connect')?.request).toEqual({ url: 'redis://:hunter2@redis.lab:6379', publishData: true });
    expect(screen.queryByRole('textbox', { name: 'Redis URL' })).toBeNull();
    // The Experiment screen's note now names the queue and its workers, as in served mode.
    const note = await screen.findByRole('note');
    expect(note.textContent!.replace(/\s+/g, ' ')).toContain(`Runs go to the queue workers serving ${QUEUE}: 1 worker (gpu-box, webgpu).`);
    // Neither shown nor kept in any field of the page.
    expect(document.body.textContent).not.toContain('hunter2');
    for (const input of document.querySelectorAll('input')) expect(input.value).not.toContain('hunter2');
  });

  it('shows why a connection failed, keeps the URL to correct, and stays on this computer', async () => {
    const refusal = 'Could not reach redis://:***@redis.lab:6380: connect ECONNREFUSED. Start Redis there or check the URL; workers join with `losslab worker --redis URL`.';
    const { app, transport } = desktopApp(async () => {
      throw new Error(refusal);
    });
    render(StartBar, { app });
    await fireEvent.click(radio('Queue workers (Redis)'));
    const field = screen.getByRole('textbox', { name: 'Redis URL' }) as HTMLInputElement;
    await fireEvent.input(field, { target: { value: 'redis://redis.lab:6380' } });
    await fireEvent.click(screen.getByRole('checkbox', { name: 'send the images through Redis' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(transport.calls.find((call) => call.channel === 'queue.connect')?.request).toEqual({ url: 'redis://redis.lab:6380', publishData: false });

    expect((await screen.findByRole('alert')).textContent).toBe(refusal);
    expect(field.value).toBe('redis://redis.lab:6380');
    expect(screen.queryByRole('button', { name: 'Disconnect' })).toBeNull();
    expect(screen.queryByRole('note')).toBeNull();
    expect(transport.calls.filter((call) => call.channel === 'queue.workers')).toHaveLength(1);
  });

  it('finds a queue chosen before (another visit to the screen, a reload) and disconnects back to this computer', async () => {
    const { app, transport } = desktopApp(undefined, QUEUE);
    render(StartBar, { app });
    await screen.findByText(QUEUE, { selector: '.connected .mono' });
    expect(radio('Queue workers (Redis)').checked).toBe(true);
    await screen.findByRole('note');

    await fireEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    await waitFor(() => expect(radio('This computer').checked).toBe(true));
    expect(transport.calls.some((call) => call.channel === 'queue.disconnect')).toBe(true);
    expect(screen.queryByRole('note')).toBeNull();
    expect(screen.queryByText(QUEUE)).toBeNull();
  });

  it('choosing "This computer" while connected disconnects', async () => {
    const { app, transport } = desktopApp(undefined, QUEUE);
    render(StartBar, { app });
    await screen.findByRole('button', { name: 'Disconnect' });
    await fireEvent.click(radio('This computer'));
    await waitFor(() => expect(transport.calls.some((call) => call.channel === 'queue.disconnect')).toBe(true));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Disconnect' })).toBeNull());
  });

  it('is not offered in served mode, whose queue is set by `losslab serve --redis`', async () => {
    const { client } = fakeClient({ 'queue.workers': () => ({ queue: null, workers: [] }) });
    const app = new AppState(client, null);
    app.info = info('served');
    render(StartBar, { app });
    expect(screen.queryByRole('group', { name: 'Where runs train' })).toBeNull();
    expect(screen.queryByRole('radio')).toBeNull();
  });
});
