import type { Command } from 'commander';
import { catalogueJson, catalogueText } from '../../losses/catalogue-text';
import { listLosses } from '../../losses/registry';

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
