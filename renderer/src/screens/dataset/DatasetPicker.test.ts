import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import DatasetPicker from './DatasetPicker.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';

function served() {
  const fake = fakeClient({ 'dataset.open': (request) => ({ path: request.path }) as never });
  return { ...fake, app: new AppState(fake.client, null) };
}

/** Files as a folder picker gives them: each with its path below the chosen folder. */
function picked(input: HTMLElement, files: { path: string; size: number }[]): Promise<boolean> {
  const list = files.map(({ path, size }) => {
    const file = new File([new Uint8Array(size)], path.split('/').pop()!);
    Object.defineProperty(file, 'webkitRelativePath', { value: path });
    return file;
  });
  Object.defineProperty(input, 'files', { value: list, configurable: true });
  return fireEvent.change(input);
}

describe('DatasetPicker uploads (served mode)', () => {
  it('is not offered on the desktop, where the native folder dialog opens local folders', () => {
    const { client } = fakeClient({}, 'desktop');
    render(DatasetPicker, { app: new AppState(client, null) });
    expect(screen.queryByText('Upload images from this computer')).toBeNull();
    expect(screen.queryByLabelText('Folder to upload')).toBeNull();
  });

  it('sends each image of a picked folder into a workspace named after it, then opens that workspace', async () => {
    const { app, transport } = served();
    render(DatasetPicker, { app });
    await picked(screen.getByLabelText('Folder to upload'), [
      { path: 'pets/cats/1.png', size: 10 },
      { path: 'pets/dogs/2.jpg', size: 20 },
      { path: 'pets/.DS_Store', size: 5 },
    ]);
    await waitFor(() => expect(transport.calls.some((c) => c.channel === 'dataset.open')).toBe(true));
    expect(transport.uploaded.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { workspace: 'pets', path: 'cats/1.png', size: 10 },
      { workspace: 'pets', path: 'dogs/2.jpg', size: 20 },
    ]);
    expect(transport.calls.find((c) => c.channel === 'dataset.open')?.request).toMatchObject({ path: '/srv/root/losslab-uploads/pets' });
    expect(screen.getByRole('status').textContent).toMatch(/^Uploaded 2 images \(30 B\) to \/srv\/root\/losslab-uploads\/pets; 1 other file left out\.$/);
    expect(screen.getByRole('progressbar', { name: 'Upload progress' }).getAttribute('aria-valuenow')).toBe('100');
  });

  it('refuses up front, sending nothing, a folder larger than the server accepts', async () => {
    const { app, transport } = served();
    transport.uploadLimitsAnswer = { folder: '/srv/root/losslab-uploads', limits: { fileBytes: 100, workspaceBytes: 150 } };
    render(DatasetPicker, { app });
    await picked(screen.getByLabelText('Folder to upload'), [
      { path: 'pets/cats/1.png', size: 100 },
      { path: 'pets/dogs/2.png', size: 100 },
    ]);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/That is 200 B, more than the 150 B the server accepts per upload/));
    expect(transport.uploaded).toEqual([]);
    expect(transport.calls.some((c) => c.channel === 'dataset.open')).toBe(false);
  });
});
