import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { defaultReportPath, exportReport, REPORT_FORMATS, type ReportFormat, type ReportOptions } from '../../report';
import { resolveExportTarget } from '../../report/export-target';
import { defaultStoreRoot } from '../../store/paths';
import { locateExperiment } from '../execute';
import { SweepFolder } from '../../sweep/folder';
import { defaultSweepReportPath, exportSweepReport, SWEEP_REPORT_FORMATS } from '../../report/sweep';
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
  force: boolean;
}

/** The experiment's dataset folders (config.data, config.testData), which a report may never be written into. */
function datasetFolders(dir: string): string[] {
  for (const name of ['results.json', 'experiment.json', 'sweep.json']) {
    try {
      const config = (JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { config?: { data?: unknown; testData?: unknown } }).config;
      return [config?.data, config?.testData].filter((f): f is string => typeof f === 'string' && f.length > 0);
    } catch {
      // try the next file
    }
  }
  return [];
}

/** A results folder given directly (it holds results.json), or an experiment id or folder in the store. */
function resolveExperimentDir(arg: string, store: string): string {
  if (SweepFolder.isSweep(arg)) return path.resolve(arg);
  if (!/[\\/]/.test(arg) && SweepFolder.isSweep(path.join(store, arg))) return path.join(store, arg);
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
    .description('write a report of a finished experiment or sweep: statistics, calibration, charts (html, pdf, csv, json or md)')
    .argument('<results>', 'experiment folder (holding results.json) or sweep folder (holding sweep.json), or an id from `losslab list`')
    .addOption(new Option('--format <format>', 'report format').choices([...REPORT_FORMATS]).default('html'))
    .option('--out <path>', 'output file (default: report.<format> in the experiment folder; the extension is added when missing). For csv: a folder for runs.csv, summary.csv, …, a path ending in .zip for one archive of them, or one ending in .csv as the stem of sibling files (x.csv → x-runs.csv, …)')
    .option('--force', 'replace files that exist already at --out (without it, an existing file is refused)', false)
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
      // The default output, in the experiment's own folder, is LossLab's file and is regenerated freely;
      // a path the user gave follows the export rules (no silent overwrite, never inside the dataset, …).
      // A sweep folder gets the report across its settings (each setting's folder takes the ordinary one).
      const sweep = SweepFolder.isSweep(dir);
      if (sweep && !SWEEP_REPORT_FORMATS.includes(flags.format)) throw new UsageError(`A sweep report is written as ${SWEEP_REPORT_FORMATS.join(', ')}; for md, report one setting: losslab report ${dir}/settings/<setting>`);
      const target = resolveExportTarget(flags.out ?? (sweep ? defaultSweepReportPath(dir, flags.format) : defaultReportPath(dir, flags.format)), {
        format: flags.format,
        base: process.cwd(),
        overwrite: flags.force || flags.out === undefined,
        protectedFolders: datasetFolders(dir),
        csvLayout: 'folder',
        overwriteHint: 'Choose another --out, or add --force to replace it.',
      });
      const files = sweep ? await exportSweepReport(dir, flags.format, target.writePath, options) : await exportReport(dir, flags.format, target.writePath, options);
      for (const file of files) process.stdout.write(`${file}\n`);
    });
}
