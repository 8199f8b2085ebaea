import { shotGroupOf } from '../../metrics/shot-groups';
import { countsChart } from '../charts/counts-chart';
import type { ReportContext } from '../context';
import { describeImbalance, describeNetwork, escapeHtml, plural } from '../format';
import { PALETTE } from '../svg';
import { definitionList, figure, legend, section, table } from './elements';

/** "The question asked": which data, which classes, how many images before and after the imbalance. */
export function questionSection(ctx: ReportContext): string {
  const { results } = ctx.experiment;
  const d = results.dataset;
  const order = d.headToTail.length === results.classes.length ? d.headToTail : results.classes.map((_, i) => i);
  const names = order.map((c) => results.classes[c]!);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const c = d.counts;
  const lead = `<p class="lead">Which loss function trains this network (${escapeHtml(describeNetwork(results))}) best when the training set of <strong>${escapeHtml(d.root)}</strong> is made imbalanced (${escapeHtml(describeImbalance(d.imbalance))})? Each loss was trained ${plural(results.config.seeds.length, 'time')} (one per seed) on the same split and judged on the same ${plural(results.testItems.length, 'test image')}; the headline score is balanced accuracy (mean recall over classes), which a model cannot raise by ignoring rare classes.</p>`;
  const facts = definitionList([
    ['Dataset', `<code>${escapeHtml(d.root)}</code>${results.config.testData ? ` (test images from <code>${escapeHtml(results.config.testData)}</code>)` : ''}`],
    ['Classes', `${results.classes.length}: ${names.map(escapeHtml).join(', ')} (head → tail)`],
    ['Images', `${sum(c.found)} found, ${sum(c.train)} train, ${sum(c.val)} validation, ${sum(c.test)} test${d.skipped.length > 0 ? `; ${plural(d.skipped.length, 'file')} skipped (unreadable or not images)` : ''}`],
    ['Imbalance profile', escapeHtml(describeImbalance(d.imbalance))],
    ['Imbalance ratio', `${d.imbalanceRatio.toFixed(1)} (largest over smallest training class)`],
    ['Image size', `${d.imageSize}×${d.imageSize}, ${d.channels === 1 ? 'grayscale' : 'RGB'}`],
  ]);
  const rows = order.map((k) => [
    escapeHtml(results.classes[k]!),
    String(c.found[k] ?? '—'),
    String(c.poolBeforeImbalance[k] ?? '—'),
    String(c.train[k] ?? '—'),
    String(c.val[k] ?? '—'),
    String(c.test[k] ?? '—'),
    shotGroupOf(c.train[k] ?? 0),
  ]);
  rows.push(['<em>total</em>', String(sum(c.found)), String(sum(c.poolBeforeImbalance)), String(sum(c.train)), String(sum(c.val)), String(sum(c.test)), '']);
  const counts = table(['class (head → tail)', 'found', 'training pool before imbalance', 'train (after)', 'validation', 'test', 'shot group'], rows, { className: 'counts' });
  const series = [
    { label: 'training pool before imbalance', values: order.map((k) => c.poolBeforeImbalance[k] ?? 0), color: '#8c959f' },
    { label: 'training images after imbalance', values: order.map((k) => c.train[k] ?? 0), color: PALETTE[0]! },
    { label: 'test images', values: order.map((k) => c.test[k] ?? 0), color: PALETTE[4]! },
  ];
  const chart = figure(countsChart('Images per class, head to tail', names, series) + legend(series), 'Images per class before and after the imbalance profile was applied (head → tail). Only the training set is made imbalanced; validation and test keep their natural shares. Shot groups follow Liu et al. 2019: many > 100, medium 20–100, few < 20 training images.');
  return section('question', 'The question asked', lead + facts + chart + counts);
}
