import type { ReportContext } from '../context';
import { escapeHtml } from '../format';
import { section } from './elements';

/** The exact command and configuration that re-run the experiment. */
export function reproducibilitySection(ctx: ReportContext): string {
  const r = ctx.reproduction;
  const { results } = ctx.experiment;
  const flags = r.flagsCommand
    ? `<p>Or, equivalently, with flags only:</p><pre class="command">${escapeHtml(r.flagsCommand)}</pre>`
    : `<p>This experiment has no flags-only equivalent (${escapeHtml(r.flagsNote ?? '')}); use the configuration file.</p>`;
  return section(
    'reproducibility',
    'Reproducibility',
    `<p>Save the configuration below as <code>${escapeHtml(r.configFileName)}</code> and run:</p><pre class="command">${escapeHtml(r.configCommand)}</pre>${flags}<p>The same configuration, seeds and software versions give the same numbers on the same backend (dataset fingerprint <code>${escapeHtml(results.dataset.fingerprint)}</code>; a changed dataset gives a different fingerprint). Analysis settings: baseline ${escapeHtml(ctx.analysis.settings.baseline)}, ${ctx.analysis.settings.bootstrapResamples} bootstrap resamples with seed ${ctx.analysis.settings.bootstrapSeed}, ${ctx.analysis.settings.calibrationBins} calibration bins.</p><pre class="config">${escapeHtml(r.configJson)}</pre>`,
  );
}
