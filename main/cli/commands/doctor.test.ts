import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { doctorReportSchema } from '../../doctor/report';
import { registerDoctorCommand } from './doctor';

async function cli(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('losslab').exitOverride().configureOutput({ writeErr: () => undefined });
  registerDoctorCommand(program, (t) => (out += t));
  await program.parseAsync(['node', 'losslab', 'doctor', ...args]);
  return out;
}

test('doctor --json prints a report of the chosen backends that the schema accepts', async () => {
  const report = doctorReportSchema.parse(JSON.parse(await cli(['--json', '--seconds', '0', '--backends', 'tensorflow,wasm'])));
  assert.deepEqual(report.backends.map((b) => b.name), ['tensorflow', 'wasm']);
  assert.equal(report.workload.seconds, 0);
});

test('doctor refuses an unknown backend and an out-of-range probe time', async () => {
  await assert.rejects(cli(['--backends', 'tensorflow,cuda']), /--backends takes tensorflow, webgpu, wasm, cpu/);
  await assert.rejects(cli(['--seconds', '500']), /--seconds must be a whole number from 0 to 120/);
});
