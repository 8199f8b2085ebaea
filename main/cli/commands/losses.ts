import type { Command } from 'commander';
import { catalogueJson, catalogueText } from '../../losses/catalogue-text';
import { listLosses } from '../../losses/registry';
import { listMethods, methodsJson, methodsText } from '../../methods/catalogue';

/** `losslab losses [--json]`: the loss catalogue with formulas, defaults, ranges and citations. */
export function registerLossesCommand(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command('losses')
    .description('list the loss catalogue: formulas, hyperparameters with defaults and ranges, citations')
    .option('--json', 'print the catalogue as JSON')
    .action((flags: { json?: boolean }) => {
      const defs = listLosses();
      write(flags.json ? `${JSON.stringify(catalogueJson(defs), null, 2)}\n` : catalogueText(defs));
    });
}

/** `losslab methods [--json]`: samplers, deferred schedules, second stages and post-hoc corrections. */
export function registerMethodsCommand(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command('methods')
    .description('list the training methods a recipe combines with a loss: samplers, DRW/DRS, cRT/LWS, τ-normalisation')
    .option('--json', 'print the catalogue as JSON')
    .action((flags: { json?: boolean }) => {
      const defs = listMethods();
      write(flags.json ? `${JSON.stringify(methodsJson(defs), null, 2)}\n` : methodsText(defs));
    });
}
