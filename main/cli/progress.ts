import cliProgress from 'cli-progress';
import type { ExperimentEvents } from '../experiment/run-experiment';

/**
 * Terminal progress for a running experiment: a decode bar, then one bar per active run with
 * its loss, images/s and ETA. Without a terminal (CI, pipes) it prints one line per milestone.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): { events: ExperimentEvents; stop(): void } {
  const interactive = stream.isTTY === true;
  const multibar = interactive
    ? new cliProgress.MultiBar(
        {
          stream,
          clearOnComplete: false,
          hideCursor: true,
          format: ' {label} [{bar}] {percentage}% | {detail}',
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const log = (line: string) => {
    if (multibar) multibar.log(`${line}\n`);
    else stream.write(`${line}\n`);
  };
  let decodeBar: cliProgress.SingleBar | null = null;
  const runBars = new Map<string, cliProgress.SingleBar>();
  let lastDecodeLine = 0;
  let lastDecodeDone = -1;

  const events: ExperimentEvents = {
    onDatasetProgress: (p) => {
      if (p.phase !== 'decode') return;
      if (multibar) {
        decodeBar ??= multibar.create(p.total, 0, { label: 'decoding images'.padEnd(28), detail: '' });
        decodeBar.setTotal(p.total);
        decodeBar.update(p.done, { detail: `${p.done}/${p.total} (${p.cached} cached)` });
      } else if ((p.done === p.total && lastDecodeDone !== p.done) || Date.now() - lastDecodeLine > 5000) {
        lastDecodeLine = Date.now();
        lastDecodeDone = p.done;
        log(`decoding images: ${p.done}/${p.total} (${p.cached} from cache)`);
      }
    },
    onDatasetLoaded: (dataset, plan) => {
      decodeBar?.stop();
      log(
        `dataset: ${dataset.items.length} images, ${dataset.classes.length} classes, ${dataset.skipped.length} skipped; ` +
          `train ${plan.train.length} / val ${plan.val.length} / test ${plan.test.length}`,
      );
      log(`training counts per class: ${dataset.classes.map((c, i) => `${c}=${plan.counts.train[i]}`).join(' ')}`);
    },
    onBackend: (backend) => log(`backend: ${backend.name} (${backend.package} ${backend.version})`),
    onRunStart: (job) => {
      if (multibar) runBars.set(job.runId, multibar.create(1, 0, { label: job.runId.slice(0, 28).padEnd(28), detail: 'starting' }));
      else log(`started ${job.runId}`);
    },
    onBatch: (p) => {
      const bar = runBars.get(p.runId);
      if (!bar) return;
      const total = p.epochs * p.batches;
      bar.setTotal(total);
      bar.update(p.epoch * p.batches + p.batch, {
        detail: `${p.stage} epoch ${p.epoch + 1}/${p.epochs} loss ${p.loss.toFixed(4)} | ${p.imagesPerSecond.toFixed(0)} img/s | ETA ${Math.ceil(p.etaSeconds)}s`,
      });
    },
    onEpoch: (runId, record) => {
      if (!multibar && record.valBalancedAccuracy !== null) {
        log(`${runId} ${record.stage} epoch ${record.epoch + 1}: loss ${record.trainLoss.toFixed(4)}, val balanced accuracy ${record.valBalancedAccuracy.toFixed(3)}`);
      }
    },
    onRunSettled: (s) => {
      const bar = runBars.get(s.job.runId);
      if (bar) {
        bar.update(bar.getTotal(), { detail: s.status });
        bar.stop();
      }
      if (s.status === 'done') log(`finished ${s.job.runId} in ${s.outcome.trainSeconds.toFixed(1)} s (${s.outcome.imagesPerSecond.toFixed(0)} img/s)`);
      else if (s.status === 'failed') log(`FAILED ${s.job.runId}: ${s.message}`);
      else log(`cancelled ${s.job.runId}`);
    },
  };
  return { events, stop: () => multibar?.stop() };
}
