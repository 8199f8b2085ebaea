import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ExportTargetError, ExportTargetExistsError, realPathOfTarget, resolveExportTarget, type ExportTargetOptions } from './export-target';

function workDir(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-target-')));
}

/** Every file below a folder, with its content, to show that a refusal wrote nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = entry.isFile() ? fs.readFileSync(full, 'utf8') : entry.isDirectory() ? '<dir>' : '<other>';
  }
  return out;
}

const html: ExportTargetOptions = { format: 'html', base: null };

function refuses(run: () => unknown, pattern: RegExp, type: new (...args: never[]) => Error = ExportTargetError): void {
  assert.throws(run, (error: Error) => {
    assert.ok(error instanceof type, `${error.name}: ${error.message}`);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /EISDIR|ENOENT|rename/, 'no raw system error');
    return true;
  });
}

describe('export target rules', () => {
  it('takes a new file in an existing folder as it is', () => {
    const dir = workDir();
    const target = resolveExportTarget(path.join(dir, 'report.html'), html);
    assert.deepEqual(target, { path: path.join(dir, 'report.html'), files: [path.join(dir, 'report.html')], kind: 'file', writePath: path.join(dir, 'report.html') });
  });

  it('adds the format’s extension when it is missing', () => {
    const dir = workDir();
    assert.equal(resolveExportTarget(path.join(dir, 'report'), html).path, path.join(dir, 'report.html'));
    assert.equal(resolveExportTarget(path.join(dir, 'report.HTM'), html).path, path.join(dir, 'report.HTM'));
    assert.equal(resolveExportTarget(path.join(dir, 'notes.txt'), { format: 'md', base: null }).path, path.join(dir, 'notes.txt.md'));
    assert.equal(resolveExportTarget(path.join(dir, 'r'), { format: 'pdf', base: null }).path, path.join(dir, 'r.pdf'));
    assert.equal(resolveExportTarget(path.join(dir, 'r'), { format: 'json', base: null }).path, path.join(dir, 'r.json'));
    // An image name is never taken for the report: 0000.png becomes 0000.png.html.
    assert.equal(resolveExportTarget(path.join(dir, '0000.png'), html).path, path.join(dir, '0000.png.html'));
  });

  it('writes CSV as one .zip in the app, and says so in the path', () => {
    const dir = workDir();
    for (const asked of ['tables', 'tables.csv', 'tables.zip']) {
      const target = resolveExportTarget(path.join(dir, asked), { format: 'csv', base: null });
      assert.equal(target.kind, 'zip');
      assert.equal(target.path, path.join(dir, 'tables.zip'));
      assert.deepEqual(target.files, [path.join(dir, 'tables.zip')]);
    }
  });

  it('writes CSV as a folder of tables for the CLI, listing every file', () => {
    const dir = workDir();
    const folder = resolveExportTarget(path.join(dir, 'out'), { format: 'csv', base: null, csvLayout: 'folder' });
    assert.equal(folder.kind, 'folder');
    assert.equal(folder.files.length, 7);
    assert.ok(folder.files.every((f) => path.dirname(f) === path.join(dir, 'out') && f.endsWith('.csv')));
    assert.ok(folder.files.includes(path.join(dir, 'out', 'summary.csv')));
    const stem = resolveExportTarget(path.join(dir, 'x.csv'), { format: 'csv', base: null, csvLayout: 'folder' });
    assert.equal(stem.path, dir);
    assert.equal(stem.writePath, path.join(dir, 'x.csv'));
    assert.ok(stem.files.includes(path.join(dir, 'x-runs.csv')));
    assert.equal(resolveExportTarget(path.join(dir, 'x.zip'), { format: 'csv', base: null, csvLayout: 'folder' }).kind, 'zip');
  });

  it('refuses an existing file unless overwrite is true', () => {
    const dir = workDir();
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, 'keep me');
    assert.throws(
      () => resolveExportTarget(file, html),
      (error: Error) => error instanceof ExportTargetExistsError && error.name === 'ExportTargetExistsError' && error.target === file && error.existing[0] === file && /already exists/.test(error.message),
    );
    // Also when the extension is added: report → report.html, which exists.
    refuses(() => resolveExportTarget(path.join(dir, 'report'), html), /report\.html already exists/, ExportTargetExistsError);
    assert.equal(resolveExportTarget(file, { ...html, overwrite: true }).path, file);
    assert.equal(fs.readFileSync(file, 'utf8'), 'keep me', 'resolving writes nothing');
  });

  it('refuses a CSV folder whose tables exist, naming them', () => {
    const dir = workDir();
    fs.mkdirSync(path.join(dir, 'out'));
    fs.writeFileSync(path.join(dir, 'out', 'runs.csv'), 'old');
    refuses(() => resolveExportTarget(path.join(dir, 'out'), { format: 'csv', base: null, csvLayout: 'folder', overwriteHint: 'add --force' }), /runs\.csv.*add --force/, ExportTargetExistsError);
    assert.equal(resolveExportTarget(path.join(dir, 'out'), { format: 'csv', base: null, csvLayout: 'folder', overwrite: true }).files.length, 7);
  });

  it('says what to do with a folder, a missing parent folder or a file used as a folder', () => {
    const dir = workDir();
    refuses(() => resolveExportTarget(dir, html), new RegExp(`${dir} is a folder\\. Give the name of the file to write inside it`));
    fs.mkdirSync(path.join(dir, 'report.html'));
    refuses(() => resolveExportTarget(path.join(dir, 'report'), html), /report\.html is a folder/);
    refuses(() => resolveExportTarget(path.join(dir, 'no', 'such', 'r.html'), html), /The folder .*no[\\/]such does not exist\. Create it first/);
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    refuses(() => resolveExportTarget(path.join(dir, 'plain', 'r.html'), html), /plain is a file, not a folder/);
    refuses(() => resolveExportTarget(path.join(dir, 'plain'), { format: 'csv', base: null, csvLayout: 'folder' }), /is a file, but CSV tables are written into a folder/);
    assert.deepEqual(snapshot(dir), { 'report.html': '<dir>', plain: 'x' }, 'nothing was written');
  });

  it('refuses a relative path without a base, and resolves it against one', () => {
    const dir = workDir();
    refuses(() => resolveExportTarget('report.html', html), /relative path.*Give the full path/);
    refuses(() => resolveExportTarget('   ', html), /No export path was given/);
    assert.equal(resolveExportTarget('sub/../report', { ...html, base: dir }).path, path.join(dir, 'report.html'));
  });

  it('refuses anything inside the dataset, however the path is spelled', () => {
    const dir = workDir();
    const data = path.join(dir, 'digits');
    const testData = path.join(dir, 'test-digits');
    fs.mkdirSync(path.join(data, '0'), { recursive: true });
    fs.mkdirSync(testData);
    fs.writeFileSync(path.join(data, '0', '0000.png'), 'png bytes');
    const rules = { ...html, overwrite: true, protectedFolders: [data, testData, undefined] };
    refuses(() => resolveExportTarget(path.join(data, '0', '0000.png'), rules), /inside the dataset folder/);
    refuses(() => resolveExportTarget(path.join(data, 'report.html'), rules), /inside the dataset folder/);
    refuses(() => resolveExportTarget(path.join(testData, 'report.html'), rules), /inside the dataset folder/);
    refuses(() => resolveExportTarget(path.join(dir, 'elsewhere', '..', 'digits', 'r.html'), rules), /inside the dataset folder/);
    // A link from outside into the dataset does not dodge the rule …
    const link = path.join(dir, 'link');
    fs.symlinkSync(data, link);
    refuses(() => resolveExportTarget(path.join(link, '0', 'r.html'), rules), /inside the dataset folder/);
    // … nor does a dataset named through a link.
    refuses(() => resolveExportTarget(path.join(data, 'r.html'), { ...rules, protectedFolders: [link] }), /inside the dataset folder/);
    refuses(() => resolveExportTarget(path.join(data, 'tables'), { format: 'csv', base: null, csvLayout: 'folder', protectedFolders: [data] }), /inside the dataset folder/);
    // Next to the dataset is fine.
    assert.equal(resolveExportTarget(path.join(dir, 'digits-report'), rules).path, path.join(dir, 'digits-report.html'));
    assert.equal(fs.readFileSync(path.join(data, '0', '0000.png'), 'utf8'), 'png bytes');
    assert.deepEqual(Object.keys(snapshot(data)).sort(), ['0', path.join('0', '0000.png')]);
  });

  it('finds the real path of a file that does not exist yet', () => {
    const dir = workDir();
    fs.symlinkSync(dir, path.join(dir, 'self'));
    assert.equal(realPathOfTarget(path.join(dir, 'self', 'a', 'b.html')), path.join(dir, 'a', 'b.html'));
  });
});
