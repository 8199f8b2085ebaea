import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { temporaryDir } from '../../../tests/fixtures/mnist-folder';

/** Runs `serve` as its own process (as `losslab serve` would), through commander. */
function runServe(args: string[]) {
  const script = `
    const { Command } = require('commander');
    const { registerServeCommand } = require(${JSON.stringify(path.join(__dirname, 'serve.js'))});
    const program = new Command('losslab').exitOverride();
    registerServeCommand(program);
    program.parseAsync(['node', 'losslab', 'serve', ...${JSON.stringify(args)}]).catch((error) => {
      process.stderr.write('losslab: ' + error.message + '\\n');
      process.exitCode = 1;
    });`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

test('losslab serve prints a tokenised loopback URL, serves it, and stops cleanly on Ctrl-C', async () => {
  const root = temporaryDir('serve-cli-root');
  const child = runServe(['--port', '0', '--root', root, '--data-dir', temporaryDir('serve-cli-store'), '--no-cache']);
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(stdout);
      if (match && stdout.includes('Press Ctrl-C')) resolve(match[0]);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${stdout}`)));
  });
  assert.match(stdout, new RegExp(`Folder browser root: ${root}`));
  const page = await fetch(url);
  assert.equal(page.status, 200);
  const tokenless = await fetch(url.replace(/\?token=.*/, ''));
  assert.equal(tokenless.status, 401);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('losslab serve refuses a --root that is not a folder', async () => {
  const child = runServe(['--port', '0', '--root', path.join(temporaryDir('serve-cli-missing'), 'nope')]);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 1);
  assert.match(stderr, /--root .* is not a folder/);
});
