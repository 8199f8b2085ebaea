import type { ReportContext } from '../context';
import { escapeHtml, fixed } from '../format';
import { section } from './elements';

/**
 * Misclassified test images of the hardest classes, as embedded thumbnails. `thumbnails`
 * maps an item's file to a data: URI; images that could not be read are listed without one.
 */
export function examplesSection(ctx: ReportContext, thumbnails: Map<string, string> | null): string {
  const { results } = ctx.experiment;
  const hardest = ctx.analysis.hardest;
  if (hardest.length === 0) return section('misclassified', 'Misclassified examples', '<p>No trained run misclassified any test image.</p>');
  let missing = 0;
  const blocks = hardest.map((h) => {
    const cards = h.examples.map((e) => {
      const uri = thumbnails?.get(e.file);
      if (!uri) missing++;
      const image = uri ? `<img src="${uri}" alt="${escapeHtml(e.file)}">` : '<div class="missing">image not available</div>';
      return `<div class="example">${image}<div>predicted <strong>${escapeHtml(results.classes[e.predictedClass]!)}</strong></div><div>wrong in ${e.wrongRuns}/${e.totalRuns} runs</div><div class="file">${escapeHtml(e.file)}</div></div>`;
    });
    return `<h3>${escapeHtml(results.classes[h.classIndex]!)} <small>(recall ${fixed(h.meanRecall)} averaged over every trained run; ${results.dataset.counts.train[h.classIndex] ?? '?'} training images)</small></h3><div class="examples">${cards.join('')}</div>`;
  });
  const note =
    thumbnails === null
      ? '<p class="notes">Thumbnails were not embedded (switched off).</p>'
      : missing > 0
        ? `<p class="notes">${missing} image(s) could not be read from the dataset folder (moved, renamed or deleted since the experiment ran); their file names are listed instead.</p>`
        : '';
  return section(
    'misclassified',
    'Misclassified examples from the hardest classes',
    `<p>The classes with the lowest recall averaged over every trained run, and their test images that the most runs got wrong; "predicted" is the wrong class chosen most often.</p>${note}${blocks.join('')}`,
  );
}
