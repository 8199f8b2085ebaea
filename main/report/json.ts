import { writeFileAtomic } from '../util/atomic-write';
import type { ReportContext } from './context';

export const REPORT_JSON_VERSION = 1;

/**
 * The full results (results.json as written by the engine) and the analysis, in one file.
 * Raw logits stay in the experiment's logits.json: they are large and the analysis already
 * holds everything computed from them.
 */
export function reportJson(ctx: ReportContext): unknown {
  return {
    reportFormatVersion: REPORT_JSON_VERSION,
    generatedAt: ctx.generatedAt,
    generatedBy: `LossLab ${ctx.experiment.results.versions.losslab ?? ''}`.trim(),
    experimentDir: ctx.experiment.dir,
    results: ctx.experiment.results,
    analysis: ctx.analysis,
    reproduction: { command: ctx.reproduction.configCommand, flagsCommand: ctx.reproduction.flagsCommand, config: JSON.parse(ctx.reproduction.configJson) as unknown },
  };
}

export function writeJsonReport(ctx: ReportContext, outPath: string): string[] {
  writeFileAtomic(outPath, JSON.stringify(reportJson(ctx), null, 2) + '\n');
  return [outPath];
}
