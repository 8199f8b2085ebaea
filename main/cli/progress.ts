import cliProgress from 'cli-progress';
import type { ExperimentEvents } from '../experiment/run-experiment';

/**
 * Terminal progress for a running experiment: a decode bar, then one bar per active run with
 * its loss, images/s and ETA. Without a terminal (CI, pipes) it prints one line per milestone.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): { events: ExperimentEvents; stop(): void; log(line: string): void } {
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
  let featureBar: cliProgress.SingleBar | null = null;
  const download = downloadProgressBar(stream);
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
    onBackboneDownload: (p) => download.update(p),
    onBackboneResolved: (b) => {
      download.stop();
      log(
        `backbone: ${b.source} (${b.kind}${b.kind === 'folder' || b.kind === 'file' ? '' : `, ${b.modelJson}`}), sha256 ${b.sha256}; ` +
          `feature layer ${b.featureLayer} (${b.featureLayerFrom === 'given' ? 'as asked' : b.featureLayerFrom === 'preset' ? "the preset's" : b.featureLayerFrom === 'before-classifier' ? 'found before the classifier' : 'the last layer'})` +
          `${b.pooled ? ' + global average pool' : ''}, ${b.featureSize} features, ${b.inputSize} px, scaling ${b.scaling}`,
      );
    },
    onFeatureProgress: (p) => {
      if (p.cached) {
        log(`backbone features: ${p.total} images from the feature cache`);
        return;
      }
      if (multibar) {
        featureBar ??= multibar.create(p.total, 0, { label: 'backbone features'.padEnd(28), detail: '' });
        featureBar.update(p.done, { detail: `${p.done}/${p.total}` });
        if (p.done === p.total) featureBar.stop();
      } else if (p.done === p.total) log(`backbone features: ${p.total} images computed`);
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
  return { events, stop: () => multibar?.stop(), log };
}

/** A download bar (or, without a terminal, a line per file) for a backbone's files. */
export function downloadProgressBar(stream: NodeJS.WriteStream = process.stderr): {
  update: (p: { file: string; received: number; total: number | null; resumedFrom: number }) => void;
  stop: () => void;
} {
  let bar: cliProgress.SingleBar | null = null;
  let current = '';
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  return {
    update: (p) => {
      if (p.file !== current) {
        stop();
        current = p.file;
        const from = p.resumedFrom > 0 ? ` (resuming at ${p.resumedFrom} bytes)` : '';
        if (stream.isTTY !== true) stream.write(`downloading ${p.file}${from}\n`);
        else {
          bar = new cliProgress.SingleBar({ stream, format: ` download ${p.file.slice(0, 20).padEnd(20)} [{bar}] {percentage}% | {value}/{total} bytes${from}`, barsize: 24 }, cliProgress.Presets.shades_classic);
          bar.start(p.total ?? 0, p.received);
        }
      }
      if (bar) {
        if (p.total !== null) bar.setTotal(p.total);
        bar.update(p.received);
      }
    },
    stop,
  };
}
