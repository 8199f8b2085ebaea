import { describe, expect, it } from 'vitest';
import { filesFromEntries, planProblem, planUpload, sendAll } from './upload-plan';

function file(name: string, size = 10): File {
  return new File([new Uint8Array(size)], name);
}

describe('planUpload', () => {
  it('makes a picked folder the workspace and keeps the class folders', () => {
    const plan = planUpload([
      { file: file('1.png'), relativePath: 'digits/3/1.png' },
      { file: file('2.jpg'), relativePath: 'digits/4/2.jpg' },
      { file: file('.DS_Store'), relativePath: 'digits/.DS_Store' },
      { file: file('notes.txt'), relativePath: 'digits/notes.txt' },
    ]);
    expect(plan.workspace).toBe('digits');
    expect(plan.items.map((i) => i.path)).toEqual(['3/1.png', '4/2.jpg']);
    expect(plan.skipped.map((s) => s.path)).toEqual(['.DS_Store', 'notes.txt']);
    expect(plan.totalBytes).toBe(20);
  });

  it('sends a single zip as it is', () => {
    const plan = planUpload([{ file: file('Pets.zip', 99), relativePath: '' }]);
    expect(plan).toMatchObject({ workspace: 'Pets', isZip: true, totalBytes: 99 });
  });

  it('refuses up front what the server would refuse', () => {
    const plan = planUpload([{ file: file('a.png', 100), relativePath: 'x/c/a.png' }, { file: file('b.png', 500), relativePath: 'x/c/b.png' }]);
    expect(planProblem(plan, { fileBytes: 1000, workspaceBytes: 1000 })).toBeNull();
    expect(planProblem(plan, { fileBytes: 1000, workspaceBytes: 599 })).toMatch(/more than the 599 B the server accepts per upload/);
    expect(planProblem(plan, { fileBytes: 400, workspaceBytes: 1000 })).toMatch(/c\/b\.png is 500 B/);
    expect(planProblem(planUpload([{ file: file('a.txt'), relativePath: 'x/a.txt' }]), { fileBytes: 1, workspaceBytes: 1 })).toMatch(/no images/);
  });
});

describe('sendAll', () => {
  it('never has more than the allowed number in flight, and reports bytes done', async () => {
    const items = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ file: file(`${n}.png`, n), path: `${n}.png` }));
    let inFlight = 0;
    let most = 0;
    const progress: number[] = [];
    const results = await sendAll(items, async (item) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return item.path;
    }, (done) => progress.push(done), 3);
    expect(most).toBe(3);
    expect(results.sort()).toEqual(items.map((i) => i.path).sort());
    expect(progress.at(-1)).toBe(28);
  });

  it('stops at the first failure and throws it', async () => {
    const items = [1, 2, 3, 4, 5, 6].map((n) => ({ file: file(`${n}.png`), path: `${n}.png` }));
    const sent: string[] = [];
    await expect(sendAll(items, async (item) => {
      sent.push(item.path);
      if (item.path === '2.png') throw new Error('refused');
    }, () => undefined, 2)).rejects.toThrow('refused');
    expect(sent.length).toBeLessThan(6);
  });
});

describe('filesFromEntries', () => {
  it('walks dropped folders, reading every batch', async () => {
    const leaf = (path: string) => ({ isFile: true, isDirectory: false, name: path.split('/').pop()!, fullPath: path, file: (ok: (f: File) => void) => ok(file(path.split('/').pop()!)) });
    const batches = [[leaf('/d/a/1.png'), leaf('/d/a/2.png')], [leaf('/d/b.png')], []];
    const folder = { isFile: false, isDirectory: true, name: 'd', fullPath: '/d', createReader: () => ({ readEntries: (ok: (e: never[]) => void) => ok(batches.shift() as never[]) }) };
    const files = await filesFromEntries([folder]);
    expect(files.map((f) => f.relativePath)).toEqual(['d/a/1.png', 'd/a/2.png', 'd/b.png']);
  });
});
