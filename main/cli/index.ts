import { Command } from 'commander';
import { registerDemoCommand } from './commands/demo';
import { registerDoctorCommand } from './commands/doctor';
import { registerHistoryCommands } from './commands/history';
import { registerLossValuesCommand } from './commands/loss-values';
import { registerLossesCommand, registerMethodsCommand } from './commands/losses';
import { registerMetricsCommand } from './commands/metrics';
import { registerReportCommand } from './commands/report';
import { registerRunCommand } from './commands/run';
import { registerServeCommand } from './commands/serve';
import { registerWorkerCommand } from './commands/worker';
import { softwareVersions } from '../util/versions';

export function buildProgram(): Command {
  const program = new Command('losslab')
    .description('Compare CNN loss functions on your own image folders under controlled class imbalance.')
    .version(softwareVersions().losslab ?? '0.0.0')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError();
  registerRunCommand(program);
  registerDemoCommand(program);
  registerLossesCommand(program);
  registerMethodsCommand(program);
  registerLossValuesCommand(program);
  registerMetricsCommand(program);
  registerHistoryCommands(program);
  registerReportCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerDoctorCommand(program);
  return program;
}

/** Runs the CLI; errors end the process with a one-line reason (the stack only with --debug). */
export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const debug = program.opts<{ debug?: boolean }>().debug === true || argv.includes('--debug');
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`losslab: ${message.split('\n')[0]}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
