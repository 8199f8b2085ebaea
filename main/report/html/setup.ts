import { listMethods } from '../../methods/catalogue';
import type { ReportContext } from '../context';
import { describeNetwork, escapeHtml, plural } from '../format';
import { texToMathml } from '../math';
import { definitionList, section, table } from './elements';

function paramsText(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  return entries.length === 0 ? 'defaults' : entries.map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`).join(', ');
}

/** Configuration and seeds: every setting that decides the numbers. */
export function configurationSection(ctx: ReportContext): string {
  const { config } = ctx.experiment.results;
  const t = config.training;
  // Parameters after defaults were applied; the configuration in the reproducibility block has them as given.
  const losses = table(
    ['loss', 'parameters used', 'seeds finished'],
    ctx.analysis.variants.filter((v) => v.kind === 'trained').map((v) => [`${escapeHtml(v.label)}<small>${escapeHtml(v.key)}</small>`, escapeHtml(paramsText(v.params)), v.seeds.join(', ')]),
  );
  const facts = definitionList([
    ['Seeds', `${config.seeds.join(', ')} — each seed fixes a run's initial weights, batch order and augmentation; runs of different losses with the same seed are paired`],
    ['Split', `test ${config.testFraction}, validation ${config.valFraction} of the training pool, split seed ${config.splitSeed} (one split for every run)`],
    ['Images', `${config.imageSize} px, resize ${escapeHtml(config.resize)}, colour ${escapeHtml(config.colorMode)}`],
    ['Model', escapeHtml(describeNetwork(ctx.experiment.results))],
    ['Training', `${t.epochs} epochs, batch ${t.batchSize}, ${escapeHtml(t.optimizer)} (lr ${t.learningRate}${t.optimizer === 'sgd' ? `, momentum ${t.momentum}` : ''}), weight decay ${t.weightDecay}, ${escapeHtml(t.schedule)} schedule, augmentation ${[t.augment.flip ? 'flip' : '', t.augment.crop ? 'crop' : ''].filter(Boolean).join(' + ') || 'none'}`],
    ['Model selection', 'the epoch with the best validation balanced accuracy; test metrics are of those weights'],
    ['Backend requested', `${escapeHtml(config.backend)}, ${config.workers === 0 ? 'one worker per core' : plural(config.workers, 'worker')}`],
  ]);
  return section('configuration', 'Configuration and seeds', facts + losses);
}

/** Engine backend and software versions: what produced the numbers. */
export function environmentSection(ctx: ReportContext): string {
  const { results } = ctx.experiment;
  const b = results.backend;
  const backend = b
    ? definitionList([
        ['Backend', `${escapeHtml(b.name)} (requested ${escapeHtml(b.requested)})`],
        ['Package', `${escapeHtml(b.package)} ${escapeHtml(b.version)}`],
        ...(b.notes.length > 0 ? ([['Notes', b.notes.map(escapeHtml).join('; ')]] as [string, string][]) : []),
        ['Started', escapeHtml(results.createdAt)],
        ['Finished', escapeHtml(results.finishedAt)],
      ])
    : '<p>No backend was recorded (no run reached training).</p>';
  const versions = table(['software', 'version'], Object.entries(results.versions).map(([k, v]) => [escapeHtml(k), escapeHtml(v)]));
  // Recipes change what each run drew and when it switched, so those columns appear once a recipe is in the experiment.
  const recipes = results.runs.some((r) => r.recipe);
  const timing = table(
    ['run', 'status', 'train time (s)', 'images/s', 'selected epoch', ...(recipes ? ['images drawn per class', 'DRW / DRS from epoch'] : [])],
    results.runs.map((r) => [
      escapeHtml(r.runId),
      escapeHtml(r.status + (r.error ? `: ${r.error}` : '')),
      r.trainSeconds?.toFixed(1) ?? '—',
      r.imagesPerSecond?.toFixed(0) ?? '—',
      r.bestEpoch !== undefined ? String(r.bestEpoch + 1) : '—',
      ...(recipes ? [r.seenPerClass?.join(' / ') ?? '—', `${r.drwEpoch ?? '—'} / ${r.drsEpoch ?? '—'}`] : []),
    ]),
  );
  return section('environment', 'Engine backend and versions', backend + versions + `<h3>Runs</h3>` + timing);
}

/** The losses compared, with their defining formulas rendered as MathML. */
export function lossesSection(ctx: ReportContext): string {
  const ids = [...new Set(ctx.experiment.results.config.losses.map((l) => l.id))];
  const cards = ids.map((id) => {
    const info = ctx.losses.get(id);
    if (!info) return `<div class="loss"><h3>${escapeHtml(id)}</h3><p>This loss is not in the current catalogue.</p></div>`;
    const c = info.citation;
    return `<div class="loss"><h3>${escapeHtml(info.name)} <small><code>${escapeHtml(id)}</code></small></h3><div class="formula">${texToMathml(info.formula)}</div><p>${escapeHtml(info.explanation)}</p><p class="citation">${escapeHtml(c.authors)} (${c.year}). <em>${escapeHtml(c.title)}</em>${c.venue ? `. ${escapeHtml(c.venue)}` : ''}.</p></div>`;
  });
  const posthoc = ctx.analysis.settings.posthocTau !== null
    ? `<div class="loss"><h3>Post-hoc logit adjustment <small>(extra rows)</small></h3><div class="formula">${texToMathml(`\\hat{y}(x) = \\arg\\max_{c}\\; z_c(x) - \\tau \\log \\pi_c, \\quad \\tau = ${ctx.analysis.settings.posthocTau}`)}</div><p>Not a training loss: each trained model's test logits z are shifted by τ·log π_c, π being the training-set class frequencies, which moves decisions towards rare classes without retraining. Every trained loss gets such a row, computed from the same runs.</p><p class="citation">Menon, A. K., Jayasumana, S., Rawat, A. S., Jain, H., Veit, A., Kumar, S. (2021). <em>Long-tail learning via logit adjustment</em>. ICLR.</p></div>`
    : '';
  const methods = methodCards(ctx);
  return section('losses', 'Losses compared', cards.join('') + posthoc + methods);
}

/** The training methods the experiment's recipes used, and τ-normalisation when its rows are shown. */
function methodCards(ctx: ReportContext): string {
  const used = new Set<string>();
  for (const loss of ctx.experiment.results.config.losses) {
    const r = loss.recipe;
    if (!r) continue;
    if (r.sampler !== 'instance') used.add(r.sampler);
    if (r.drw) used.add('drw');
    if (r.drs !== null) used.add('drs');
    if (r.secondStage) used.add(r.secondStage.kind);
  }
  if (ctx.analysis.variants.some((v) => v.key.endsWith('+tau-norm'))) used.add('tau-norm');
  return listMethods()
    .filter((m) => used.has(m.id))
    .map((m) => {
      const c = m.citation;
      return `<div class="loss"><h3>${escapeHtml(m.name)} <small>(${escapeHtml(m.kind)})</small></h3><div class="formula">${texToMathml(m.formula)}</div><p>${escapeHtml(m.explanation)}</p><p class="citation">${escapeHtml(c.authors)} (${c.year}). <em>${escapeHtml(c.title)}</em>${c.venue ? `. ${escapeHtml(c.venue)}` : ''}.</p></div>`;
    })
    .join('');
}
