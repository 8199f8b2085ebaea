import type { Command } from 'commander';
import { PROBE_BACKENDS, type ProbeBackend } from '../../doctor/backend-probe';
import { buildDoctorReport, DEFAULT_PROBE_SECONDS, formatDoctorReport } from '../../doctor/report';
import { parseInteger, UsageError } from '../options';

/** `losslab doctor [--json] [--seconds N] [--backends a,b]`: what this machine can train on, and why. */
export function registerDoctorCommand(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command('doctor')
    .description('say what this machine can train on and why: GPUs, drivers, Vulkan, CUDA, each backend with a short training probe')
    .option('--json', 'print the report as JSON')
    .option('--seconds <n>', `training probe per usable backend, in seconds (0: none)`, parseInteger('--seconds', 0, 120), DEFAULT_PROBE_SECONDS)
    .option('--backends <list>', `backends to check (default: ${PROBE_BACKENDS.join(',')})`)
    .action(async (flags: { json?: boolean; seconds: number; backends?: string }) => {
      const backends = flags.backends ? parseBackends(flags.backends) : undefined;
      if (!flags.json) process.stderr.write(`Checking backends${flags.seconds > 0 ? ` (about ${flags.seconds} s of training each)` : ''}…\n`);
      const report = await buildDoctorReport({ seconds: flags.seconds, ...(backends ? { backends } : {}) });
      write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
    });
}

function parseBackends(text: string): ProbeBackend[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(PROBE_BACKENDS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) throw new UsageError(`--backends takes ${PROBE_BACKENDS.join(', ')}; got "${text}"`);
  return names as ProbeBackend[];
}
