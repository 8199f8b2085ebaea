import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseExperimentConfig } from '../experiment/config';
import { startStoredExperiment } from '../experiment/stored-experiment';
import { parseCsvRecords } from '../report';
import { exportSweepReport } from '../report/sweep';
import { parseHtml } from '../report/test-dom';
import type { ExperimentResults } from '../results/types';
import { ExperimentFolder } from '../store/experiment-folder';
import { temporaryDir, writeMnistFolder } from '../../tests/fixtures/mnist-folder';
import { listSweeps, SweepFolder } from './folder';
import { loadSweep } from './load';
import { resumeSweep, startSweep } from './run-sweep';

/**
 * A real sweep through the engine: 2 imbalance settings × 2 losses × 1 seed on real digits
 * (8 px, a one-block CNN, 2 epochs). It is interrupted in its second setting, resumed, and
 * must end with the numbers a single-setting experiment gives; then its reports are written.
 */

let root = '';
let data = '';
const dirOf = () => path.join(root, 'sweep');
const readResults = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as ExperimentResults;

function sweepConfig() {
  return parseExperimentConfig({
    data,
    imageSize: 8,
    losses: [{ id: 'ce' }, { id: 'balanced-softmax' }],
    seeds: [1],
    sweep: { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 4 }] },
    model: { width: 4, depth: 1 },
    training: { epochs: 2, batchSize: 16, learningRate: 0.01 },
    backend: 'wasm',
    workers: 1,
  });
}

before(async () => {
  root = temporaryDir('sweep-e2e');
  data = await writeMnistFolder(path.join(root, 'digits'), { digits: [0, 1, 2, 3], perClass: 30 });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('a real sweep, interrupted and resumed', () => {
  it('trains every recipe × seed × setting on one test set; an interrupted sweep resumes without retraining finished runs', async () => {
    const started: string[] = [];
    let settingOfRun = 0;
    let cancelled = false;
    const estimates: (number | null)[] = [];
    const first = startSweep(new SweepFolder(dirOf()), sweepConfig(), {
      keepWeights: false,
      events: {
        onSettingStart: (s) => (settingOfRun = s.index),
        onEstimate: (e) => estimates.push(e.remainingSeconds),
        experiment: {
          onRunStart: (job) => started.push(`${settingOfRun}:${job.runId}`),
          onRunSettled: (s) => {
            // Stop once the second setting has finished its first run.
            if (settingOfRun === 1 && s.status === 'done' && !cancelled) {
              cancelled = true;
              first.cancel();
            }
          },
        },
      },
    });
    const outcome = await first.done;
    assert.equal(outcome.cancelled, true);
    assert.deepEqual(started.slice(0, 3), ['0:ce#seed1', '0:balanced-softmax#seed1', '1:ce#seed1']);
    assert.ok(estimates.some((e) => e !== null && e >= 0), 'the estimate is measured while training');
    const folder = new SweepFolder(dirOf());
    const setting1 = folder.setting('1-exp-1');
    assert.equal(setting1.status(), 'done');
    const setting1Results = fs.readFileSync(setting1.resultsFile, 'utf8');
    assert.equal(folder.setting('2-exp-4').status(), 'interrupted');

    const resumedStarts: string[] = [];
    const resumed = resumeSweep(folder, { keepWeights: false, events: { experiment: { onRunStart: (job) => resumedStarts.push(job.runId) } } });
    const again = await resumed.done;
    assert.equal(again.cancelled, false);
    // Only the unfinished run of the second setting trains again.
    assert.deepEqual(resumedStarts, ['balanced-softmax#seed1']);
    assert.equal(fs.readFileSync(setting1.resultsFile, 'utf8'), setting1Results);

    const a = readResults(setting1.dir);
    const b = readResults(folder.setting('2-exp-4').dir);
    assert.deepEqual(a.testItems, b.testItems, 'every setting is tested on the same images');
    assert.ok(b.dataset.counts.train.reduce((s, n) => s + n, 0) < a.dataset.counts.train.reduce((s, n) => s + n, 0));
    assert.ok([...a.runs, ...b.runs].every((r) => r.status === 'done'));
    assert.deepEqual(listSweeps(root).map((x) => [x.dir, x.settings, x.runsFinished, x.runsTotal]), [[dirOf(), 2, 4, 4]]);
  });

  it('a setting gives exactly the numbers of the single-setting experiment', async () => {
    const { sweep: _sweep, ...single } = sweepConfig();
    const dir = path.join(root, 'single');
    await startStoredExperiment(new ExperimentFolder(dir), parseExperimentConfig({ ...single, imbalance: { kind: 'exp', ratio: 4 } }), { keepWeights: false }).done;
    const alone = readResults(dir);
    const inSweep = readResults(new SweepFolder(dirOf()).setting('2-exp-4').dir);
    assert.deepEqual(inSweep.runs.map((r) => [r.runId, r.metrics]), alone.runs.map((r) => [r.runId, r.metrics]));
  });

  it('reports carry the sweep: chart against ρ, summary, one row per recipe × setting × seed', async () => {
    const loaded = loadSweep(dirOf(), { resamples: 200 });
    assert.deepEqual(loaded.sweep.xs.map((x) => x.x), [1, 4]);
    assert.equal(loaded.sweep.summary.length, 1);
    assert.match(loaded.sweep.summary[0]!, /^Balanced softmax .*Cross-entropy/);

    const html = path.join(root, 'sweep.html');
    await exportSweepReport(dirOf(), 'html', html, { resamples: 200 });
    const text = fs.readFileSync(html, 'utf8');
    assert.doesNotMatch(text, /https?:\/\//);
    const doc = parseHtml(text);
    assert.deepEqual([...doc.querySelectorAll('section')].map((s) => s.id), ['settings', 'charts', 'contrasts', 'runs', 'setting-1', 'setting-2', 'configuration']);
    assert.ok(doc.querySelector('#charts svg[aria-label="balanced accuracy against imbalance ratio ρ"]'));
    assert.equal(doc.querySelectorAll('#runs tbody tr').length, 4);
    assert.equal(doc.querySelector('.sweep-summary li')!.textContent, loaded.sweep.summary[0]);

    const csvDir = path.join(root, 'csv');
    const files = await exportSweepReport(dirOf(), 'csv', csvDir, { resamples: 200 });
    assert.deepEqual(files.map((f) => path.basename(f)), ['sweep-settings.csv', 'sweep-runs.csv', 'sweep-points.csv', 'sweep-comparisons.csv']);
    const runs = parseCsvRecords(fs.readFileSync(path.join(csvDir, 'sweep-runs.csv'), 'utf8'));
    assert.deepEqual(runs.map((r) => [r.setting, r.rho, r.recipe, r.seed]), [['1', '1', 'ce', '1'], ['1', '1', 'balanced-softmax', '1'], ['2', '4', 'ce', '1'], ['2', '4', 'balanced-softmax', '1']]);
    const b = readResults(new SweepFolder(dirOf()).setting('2-exp-4').dir);
    assert.equal(Number(runs[3]!.balanced_accuracy), b.runs[1]!.metrics!.balancedAccuracy);

    const json = path.join(root, 'sweep.json');
    await exportSweepReport(dirOf(), 'json', json, { resamples: 200 });
    const parsed = JSON.parse(fs.readFileSync(json, 'utf8')) as { analysis: { runs: unknown[]; summary: string[] }; settings: unknown[] };
    assert.equal(parsed.analysis.runs.length, 4);
    assert.deepEqual(parsed.analysis.summary, loaded.sweep.summary);
    assert.equal(parsed.settings.length, 2);
  });
});
