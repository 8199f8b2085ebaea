import path from 'node:path';
import type { Command } from 'commander';
import { listSweeps, SweepFolder } from '../../sweep/folder';
import { resumeSweepCli } from '../sweep';
import { ExperimentStore } from '../../store/experiment-store';
import { defaultStoreRoot } from '../../store/paths';
import { locateExperiment, queueOptionsFromFlags, resumeExperiment, type QueueFlags } from '../execute';
import { formatSummaryTable } from '../summary-table';
import { parseInteger } from '../options';

const storeOption = ['--store <dir>', 'experiment store folder (default: the user-data folder)'] as const;

/** `list`, `show`, `delete` and `resume`: the same store the app's History screen reads. */
export function registerHistoryCommands(program: Command): void {
  program
    .command('list')
    .description('list stored experiments, newest first')
    .option(...storeOption)
    .option('--json', 'print JSON')
    .action((flags: { store?: string; json?: boolean }) => {
      const store = new ExperimentStore(flags.store ?? defaultStoreRoot());
      const listings = store.list();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(listings, null, 2)}\n`);
        return;
      }
      const sweeps = listSweeps(store.root);
      if (listings.length === 0 && sweeps.length === 0) {
        process.stdout.write(`No experiments in ${store.root}.\n`);
        return;
      }
      for (const e of listings) {
        process.stdout.write(`${e.id}  ${e.status.padEnd(11)}  runs ${e.runsFinished}/${e.runsTotal}  ${e.losses.join(',')}  ${e.dataset}\n`);
      }
      // Sweeps hold one experiment per setting in their own folder (losslab report / resume take the sweep's id).
      for (const s of sweeps) process.stdout.write(`${s.id}  sweep        runs ${s.runsFinished}/${s.runsTotal}  ${s.settings} settings\n`);
    });

  program
    .command('show')
    .description('show the comparison table and files of one experiment')
    .argument('<id>', 'experiment id or folder')
    .option(...storeOption)
    .option('--json', 'print results.json')
    .action((id: string, flags: { store?: string; json?: boolean }) => {
      const folder = locateExperiment(id, flags.store ?? defaultStoreRoot());
      const record = folder.readRecord();
      const status = folder.status();
      if (status !== 'done' && !flags.json) {
        process.stdout.write(`${record.id}: ${status}, ${folder.finishedRunCount()}/${record.runs.length} runs finished. Resume with \`losslab resume ${record.id}\`.\n`);
        return;
      }
      const results = folder.readResults();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${results.config.name ?? results.id}\n${results.dataset.root} — ${results.classes.length} classes, imbalance ${JSON.stringify(results.dataset.imbalance)}\n\n`);
      process.stdout.write(`${formatSummaryTable(results)}\n\nFolder: ${folder.dir}\n`);
    });

  program
    .command('delete')
    .description('delete a stored experiment')
    .argument('<id>', 'experiment id')
    .option(...storeOption)
    .action((id: string, flags: { store?: string }) => {
      const store = new ExperimentStore(flags.store ?? defaultStoreRoot());
      store.delete(id);
      process.stdout.write(`Deleted ${id}\n`);
    });

  program
    .command('resume')
    .description('continue an interrupted experiment or sweep: finished runs are kept, unfinished ones continue from their last epoch')
    .argument('<id>', 'experiment id or folder')
    .option(...storeOption)
    .option('--no-cache', 'do not read or write the decoded-image cache')
    .option('--redis <url>', 'queue mode: continue on the workers serving this Redis (redis:// or rediss://)')
    .option('--workers <n>', 'in queue mode, workers to run in this process too (default 0)', parseInteger('--workers', 0, 64))
    .option('--publish-data', 'queue mode: publish the decoded data through Redis (as `run --publish-data`)')
    .option('--data-share <dir>', 'queue mode: publish the decoded data to this shared folder (as `run --data-share`)')
    .action(async (id: string, flags: { store?: string; cache: boolean } & QueueFlags) => {
      const queue = queueOptionsFromFlags(flags);
      const sweepDir = [id, path.join(flags.store ?? defaultStoreRoot(), id)].find((dir) => SweepFolder.isSweep(dir));
      if (sweepDir) {
        await resumeSweepCli(sweepDir, flags.cache, queue);
        return;
      }
      await resumeExperiment(locateExperiment(id, flags.store ?? defaultStoreRoot()), flags.cache, queue);
    });
}
