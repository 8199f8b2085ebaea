import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import ExportControl from './ExportControl.svelte';
import { AppState } from '../../stores/app.svelte';
import { ApiError } from '../../api/errors';
import { fakeClient } from '../../test/fake-client';
import type { Request } from '../../../../main/api/contract';

function served(existing: Set<string>) {
  const written: Request<'experiments.export'>[] = [];
  const { client, transport } = fakeClient({
    'experiments.export': (request) => {
      if (existing.has(request.path) && !request.overwrite) throw new ApiError(`${request.path} already exists. Choose another name, or confirm that it should be replaced.`, 'ExportTargetExistsError', 'experiments.export', 422);
      written.push(request);
      return { path: request.path, files: [request.path] };
    },
  });
  const app = new AppState(client);
  return { app, transport, written };
}

describe('ExportControl in served mode', () => {
  it('downloads by default, through the browser', async () => {
    const { app, transport } = served(new Set());
    transport.download = async (id, format) => ({ blob: new Blob([`${id}.${format}`]), filename: `losslab-${id}.${format}` });
    URL.createObjectURL = vi.fn(() => 'blob:fake');
    URL.revokeObjectURL = vi.fn();
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    render(ExportControl, { app, id: 'exp-1' });
    await fireEvent.click(screen.getByRole('button', { name: 'Download' }));
    await screen.findByText('Downloaded losslab-exp-1.html');
    expect(clicked).toHaveBeenCalledTimes(1);
    expect(transport.calls.map((c) => c.channel)).toEqual(['download']);
  });

  it('asks before replacing a file on the server, and keeps it when told to', async () => {
    const { app, written } = served(new Set(['/srv/report.html']));
    render(ExportControl, { app, id: 'exp-1' });
    await fireEvent.click(screen.getByRole('button', { name: 'Save on the server…' }));
    await fireEvent.input(screen.getByLabelText('Path on the server'), { target: { value: '/srv/report.html' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByRole('alertdialog');
    expect(screen.getByText(/already exists/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Keep the existing file' }));
    await screen.findByText('Not saved: the existing file was kept.');
    expect(written).toEqual([]);

    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Replace' }));
    await screen.findByText('Saved to /srv/report.html');
    expect(written).toEqual([{ id: 'exp-1', format: 'html', path: '/srv/report.html', overwrite: true }]);
  });
});

describe('ExportControl on the desktop', () => {
  it('uses the native save dialog', async () => {
    const { client, transport } = fakeClient({ 'dialog.saveExport': () => ({ path: '/home/me/r.html', files: ['/home/me/r.html'] }) }, 'desktop');
    render(ExportControl, { app: new AppState(client), id: 'exp-1' });
    expect(screen.queryByRole('button', { name: 'Save on the server…' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Export…' }));
    await waitFor(() => expect(screen.getByText('Saved to /home/me/r.html')).toBeTruthy());
    expect(transport.calls.map((c) => c.channel)).toEqual(['dialog.saveExport']);
  });
});
