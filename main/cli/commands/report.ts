import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { defaultReportPath, exportReport, REPORT_FORMATS, type ReportFormat, type ReportOptions } from '../../report';
import { defaultStoreRoot } from '../../store/paths';
import { locateExperiment } from '../execute';
import { parseInteger, UsageError } from '../options';

interface ReportFlags {
  format: ReportFormat;
  out?: string;
  paper: 'a4' | 'letter';
  baseline?: string;
  resamples?: number;
  bootstrapSeed?: number;
  thumbnails: boolean;
  posthoc: boolean;
  store?: string;
}

/** A results folder given directly (it holds results.json), or an experiment id or folder in the store. */
function resolveExperimentDir(arg: string, store: string): string {
  if (fs.existsSync(path.join(arg, 'results.json'))) return path.resolve(arg);
  if (fs.existsSync(path.join(arg, 'experiment.json'))) return path.resolve(arg); // unfinished: the report says how to resume
  if (fs.existsSync(arg)) throw new UsageError(`${arg} is not a LossLab experiment folder (it holds no results.json).`);
  if (/[\\/]/.test(arg)) throw new UsageError(`No such folder: ${arg}`);
  return locateExperiment(arg, store).dir;
}

/** `losslab report RESULTS_DIR --format html|pdf|csv|json|md [--out FILE]`: the shareable comparison. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write a report of a finished experiment: statistics, calibration, charts (html, pdf, csv, json or md)')
    .argument('<results>', 'experiment folder (holding results.json), or an experiment id from `losslab list`')
    .addOption(new Option('--format <format>', 'report format').choices([...REPORT_FORMATS]).default('html'))
    .option('--out <path>', 'output file (default: report.<format> in the experiment folder). For csv: a folder for runs.csv, summary.csv, … or, when it ends in .csv, the stem of sibling files (x.csv → x-runs.csv, …)')
    .addOption(new Option('--paper <size>', 'paper size for pdf').choices(['a4', 'letter']).default('a4'))
    .option('--baseline <loss>', 'loss to compare every other loss with (default: ce, else the first loss)')
    .option('--resamples <n>', 'paired bootstrap resamples', parseInteger('--resamples', 100, 100000))
    .option('--bootstrap-seed <n>', 'seed of the bootstrap resampling', parseInteger('--bootstrap-seed', 0, 2 ** 31 - 1))
    .option('--no-thumbnails', 'do not embed images of misclassified examples')
    .option('--no-posthoc', 'leave out the post-hoc logit adjustment rows')
    .option('--store <dir>', 'experiment store folder, to find an experiment by id (default: the user-data folder)')
    .action(async (results: string, flags: ReportFlags) => {
      const dir = resolveExperimentDir(results, flags.store ?? defaultStoreRoot());
      const options: ReportOptions = {
        paper: flags.paper,
        thumbnails: flags.thumbnails,
        posthocTau: flags.posthoc ? 1 : null,
        ...(flags.baseline ? { baseline: flags.baseline } : {}),
        ...(flags.resamples !== undefined ? { resamples: flags.resamples } : {}),
        ...(flags.bootstrapSeed !== undefined ? { bootstrapSeed: flags.bootstrapSeed } : {}),
      };
      const files = await exportReport(dir, flags.format, flags.out ?? defaultReportPath(dir, flags.format), options);
      for (const file of files) process.stdout.write(`${file}\n`);
    });
}
