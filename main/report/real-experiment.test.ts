import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseExperimentConfig } from '../experiment/config';
import { startStoredExperiment } from '../experiment/stored-experiment';
import type { ExperimentResults } from '../results/types';
import { ExperimentFolder } from '../store/experiment-folder';
import { temporaryDir, writeMnistFolder } from '../../tests/fixtures/mnist-folder';
import { analyzeExperimentFolder } from '../analysis/analyze';
import { exportReport, findChromium, parseCsvRecords, REPORT_SECTIONS } from './index';
import { parseHtml } from './test-dom';

/**
 * Reports of an experiment trained by the real engine (tiny CNN, two epochs, real MNIST
 * digits made imbalanced), so that the writers meet every field the engine produces.
 */

let root = '';
let dir = '';
let results: ExperimentResults;

before(async () => {
  root = temporaryDir('report-real');
  const data = await writeMnistFolder(path.join(root, 'digits'), { digits: [0, 1, 2, 3], perClass: 50 });
  const config = parseExperimentConfig({
    name: 'Real digits',
    data,
    imageSize: 16,
    imbalance: { kind: 'exp', ratio: 5 },
    losses: [{ id: 'ce' }, { id: 'focal', params: { gamma: 2 } }],
    seeds: [1, 2],
    model: { width: 4, depth: 1 },
    training: { epochs: 2, batchSize: 32, learningRate: 0.01 },
    backend: 'wasm',
    workers: 2,
  });
  dir = path.join(root, 'experiment');
  await startStoredExperiment(new ExperimentFolder(dir), config, { id: 'real-report', keepWeights: false }).done;
  results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as ExperimentResults;
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('reports of a real experiment', () => {
  it('the engine produced what the reports read', () => {
    assert.equal(results.runs.length, 4);
    assert.ok(results.runs.every((r) => r.status === 'done'), results.runs.map((r) => r.error).join('; '));
    assert.ok(fs.existsSync(path.join(dir, 'logits.json')));
  });

  it('HTML: every section, real thumbnails, numbers from results.json', async () => {
    const out = path.join(root, 'report.html');
    await exportReport(dir, 'html', out, { resamples: 500 });
    const html = fs.readFileSync(out, 'utf8');
    assert.doesNotMatch(html, /https?:\/\//);
    const doc = parseHtml(html);
    assert.deepEqual([...doc.querySelectorAll('section')].map((s) => s.id), REPORT_SECTIONS.map(([id]) => id));
    const analysis = analyzeExperimentFolder(dir, { resamples: 500 });
    const ce = analysis.variants.find((v) => v.key === 'ce')!;
    const mean = (results.runs[0]!.metrics!.balancedAccuracy + results.runs[2]!.metrics!.balancedAccuracy) / 2;
    assert.equal(results.runs[0]!.lossKey, 'ce');
    assert.ok(Math.abs(ce.metrics.balancedAccuracy.mean! - mean) < 1e-12);
    const firstRow = [...doc.querySelectorAll('#comparison table')][0]!.querySelector('tbody tr')!;
    assert.equal(firstRow.querySelector('th')!.textContent, 'Cross-entropy');
    assert.equal(firstRow.querySelector('td')!.textContent!.slice(0, 5), mean.toFixed(3));
    const images = [...doc.querySelectorAll('#misclassified img')];
    const examples = analysis.hardest.reduce((n, h) => n + h.examples.length, 0);
    assert.equal(images.length, examples, 'each misclassified digit is embedded');
    for (const img of images) assert.match(img.getAttribute('src')!, /^data:image\/png;base64,[A-Za-z0-9+/=]{100,}$/);
    assert.match(doc.querySelector('#environment')!.textContent!, /wasm/);
    assert.match(doc.querySelector('#reproducibility')!.textContent!, /--losses ce,focal --param focal\.gamma=2/);
  });

  it('CSV, JSON and Markdown agree with results.json', async () => {
    const csvDir = path.join(root, 'csv');
    await exportReport(dir, 'csv', csvDir, { resamples: 300 });
    const perClass = parseCsvRecords(fs.readFileSync(path.join(csvDir, 'per-class.csv'), 'utf8'));
    for (const run of results.runs) {
      run.metrics!.perClass.forEach((p, c) => {
        const row = perClass.find((r) => r.run_id === run.runId && r.class_index === String(c))!;
        assert.ok(Math.abs(Number(row.recall) - p.recall) < 1e-9 && Number(row.support) === p.support);
      });
    }
    const jsonFile = path.join(root, 'report.json');
    await exportReport(dir, 'json', jsonFile, { resamples: 300 });
    assert.deepEqual((JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as { results: unknown }).results, results);
    const md = path.join(root, 'report.md');
    await exportReport(dir, 'md', md, { resamples: 300 });
    assert.match(fs.readFileSync(md, 'utf8'), /^# Real digits/);
  });

  it('PDF on A4', async (t) => {
    try {
      findChromium();
      execFileSync('pdfinfo', ['-v'], { stdio: 'ignore' });
    } catch {
      t.skip('needs Chromium and poppler-utils: `apt-get install -y chromium poppler-utils`');
      return;
    }
    const out = path.join(root, 'report.pdf');
    await exportReport(dir, 'pdf', out, { resamples: 300, paper: 'a4' });
    const info = execFileSync('pdfinfo', [out], { encoding: 'utf8' });
    assert.match(info, /\(A4\)/);
    assert.ok(Number(/Pages:\s+(\d+)/.exec(info)![1]) >= 4);
    assert.match(execFileSync('pdftotext', [out, '-'], { encoding: 'utf8' }), /Misclassified examples from the hardest classes/);
  });
});
