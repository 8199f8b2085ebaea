import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { analyzeExperimentFolder } from '../analysis/analyze';
import { writeSyntheticExperiment } from '../analysis/synthetic';
import { ANALYSIS_METRICS } from '../analysis/types';
import { registerReportCommand } from '../cli/commands/report';
import { registerRunCommand, configFromFlags } from '../cli/commands/run';
import { parseExperimentConfig } from '../experiment/config';
import type { ExperimentResults } from '../results/types';
import { buildReportContext, ChromiumNotFoundError, CSV_TABLES, csvPaths, csvTables, exportReport, findChromium, parseCsvRecords, REPORT_SECTIONS, renderHtml, writeReport } from './index';
import { htmlToPdf } from './pdf';
import { METRIC_COLUMNS } from './labels';
import { reproductionConfig } from './reproduce';
import { parseHtml } from './test-dom';

let root = '';
let dir = '';
let results: ExperimentResults;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-report-'));
  dir = await writeSyntheticExperiment(path.join(root, 'exp'), {
    losses: [{ id: 'ce' }, { id: 'focal', params: { gamma: 1 } }, { id: 'balanced-softmax' }],
    seeds: [1, 2],
    classes: 5,
    headCount: 150,
    ratio: 30,
    testPerClass: 24,
    valPerClass: 6,
    epochs: 4,
    images: true,
  });
  results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as ExperimentResults;
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

const fast = { resamples: 400 };

/** Splits a command line as a POSIX shell would for the quoting reproduce.ts produces. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!));
}

describe('HTML report', () => {
  it('has every required section, in order, with the comparison table and one confusion matrix per loss', async () => {
    const html = await renderHtml(buildReportContext(dir, fast));
    const doc = parseHtml(html);
    const sections = [...doc.querySelectorAll('section')];
    assert.deepEqual(sections.map((s) => s.id), REPORT_SECTIONS.map(([id]) => id));
    for (const [id, title] of REPORT_SECTIONS) assert.equal(doc.querySelector(`#${id} > h2`)?.textContent, title);

    const question = doc.querySelector('#question')!.textContent!;
    for (const c of results.classes) assert.ok(question.includes(c));
    assert.match(question, /exponential, ρ = 30/);
    assert.ok(doc.querySelector('#question table.counts'), 'counts before and after imbalance');
    assert.match(doc.querySelector('#configuration')!.textContent!, /Seeds1, 2/);
    assert.match(doc.querySelector('#environment')!.textContent!, /@tensorflow\/tfjs-backend-wasm 4\.22\.0/);
    assert.ok(doc.querySelectorAll('#losses math').length >= 4, 'three loss formulas and the post-hoc rule as MathML');

    const rowsOf = (caption: RegExp) => {
      const table = [...doc.querySelectorAll('#comparison table')].find((t) => caption.test(t.querySelector('caption')?.textContent ?? ''))!;
      return [...table.querySelectorAll('tbody tr')].map((tr) => tr.querySelector('th')!.textContent!);
    };
    // Display names, never internal keys such as focal(gamma=1).
    const labels = ['Cross-entropy', 'Cross-entropy + post-hoc LA (τ = 1)', 'Focal loss (softmax) (γ = 1)', 'Focal loss (softmax) (γ = 1) + post-hoc LA (τ = 1)', 'Balanced softmax', 'Balanced softmax + post-hoc LA (τ = 1)'];
    assert.deepEqual(rowsOf(/^Classification/), labels);
    assert.deepEqual(rowsOf(/^Calibration/), labels);
    const analysis = analyzeExperimentFolder(dir, fast);
    const paired = [...doc.querySelectorAll('#comparison table')].find((t) => /Paired comparison/.test(t.textContent ?? ''))!;
    const pairedRows = [...paired.querySelectorAll('tbody tr')].slice(1);
    assert.equal(pairedRows.length, analysis.comparisons.length);
    pairedRows.forEach((tr, i) => {
      const expected = analysis.comparisons[i]!.significant ? 'significant' : 'not significant';
      assert.equal(tr.querySelector('.badge')!.textContent, expected, `row ${i}`);
    });
    assert.ok(doc.querySelector('#ranking') && doc.querySelectorAll('ol.ranking li').length >= 1);

    assert.equal(doc.querySelectorAll('#confusion table.confusion').length, 3);
    const firstMatrix = doc.querySelector('#confusion table.confusion')!;
    assert.equal(firstMatrix.querySelectorAll('tbody tr').length, 5);
    assert.match(firstMatrix.querySelector('tbody td')!.textContent!, /^\d+\d*%$/, 'count and row share in each cell');
    assert.ok(doc.querySelector('#recall svg.chart'));
    assert.equal(doc.querySelectorAll('#calibration svg.chart').length, 3, 'one reliability diagram per trained loss');
    assert.ok(doc.querySelectorAll('#curves svg.chart').length >= 4, 'validation curve plus a loss curve per loss');
    assert.match(doc.querySelector('#reproducibility')!.textContent!, /losslab run --config losslab-config\.json/);
  });

  it('is self-contained: no URL, no script, no external reference; thumbnails are data: URIs', async () => {
    const html = await renderHtml(buildReportContext(dir, fast));
    assert.doesNotMatch(html, /https?:\/\//i, 'no http(s) URL anywhere, not even an xmlns');
    assert.doesNotMatch(html, /<script|<link|<iframe|<object|<embed|@import|url\(/i);
    const doc = parseHtml(html);
    const sources = [...doc.querySelectorAll('[src], [href]')].map((e) => e.getAttribute('src') ?? e.getAttribute('href')!);
    for (const s of sources) assert.ok(s.startsWith('data:image/png;base64,') || s.startsWith('#'), `external reference ${s.slice(0, 60)}`);
    const examples = analyzeExperimentFolder(dir, fast).hardest.reduce((n, h) => n + h.examples.length, 0);
    assert.ok(examples > 0);
    assert.equal(doc.querySelectorAll('#misclassified img').length, examples);
    assert.match(doc.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')!, /default-src 'none'/);
  });

  it('skips thumbnails gracefully when the dataset has moved', async () => {
    const moved = path.join(root, 'moved');
    fs.cpSync(dir, moved, { recursive: true });
    fs.rmSync(path.join(moved, 'dataset'), { recursive: true });
    const file = path.join(moved, 'results.json');
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentResults;
    r.dataset.root = path.join(root, 'gone');
    fs.writeFileSync(file, JSON.stringify(r));
    const doc = parseHtml(await renderHtml(buildReportContext(moved, fast)));
    assert.equal(doc.querySelectorAll('#misclassified img').length, 0);
    assert.ok(doc.querySelectorAll('#misclassified .missing').length > 0);
    assert.match(doc.querySelector('#misclassified')!.textContent!, /could not be read from the dataset folder/);
  });
});

describe('unusual experiments', () => {
  it('one loss, one seed, no validation set, no logits: every writer still works', async () => {
    const single = await writeSyntheticExperiment(path.join(root, 'single'), { losses: [{ id: 'focal' }], seeds: [3], classes: 3, testPerClass: 10, valPerClass: 0, epochs: 2 });
    const doc = parseHtml(await renderHtml(buildReportContext(single, fast)));
    assert.deepEqual([...doc.querySelectorAll('section')].map((s) => s.id), REPORT_SECTIONS.map(([id]) => id));
    assert.match(doc.querySelector('#notes')!.textContent!, /no validation set/);
    assert.match(doc.querySelector('.lead')!.textContent!, /Only one loss finished: Focal loss \(softmax\)/, 'the verdict line says there is nothing to compare');
    assert.equal(doc.querySelectorAll('#comparison table')[0]!.querySelectorAll('td small').length, 0, 'one seed has no seed interval');
    assert.equal(doc.querySelectorAll('#comparison table')[2]!.querySelectorAll('tbody tr').length, 2, 'baseline and its post-hoc row');
    for (const format of ['md', 'csv', 'json'] as const) assert.ok((await exportReport(single, format, path.join(root, `single-out.${format}`), fast)).length > 0);
    fs.rmSync(path.join(single, 'logits.json'));
    const bare = parseHtml(await renderHtml(buildReportContext(single, fast)));
    assert.match(bare.querySelector('#notes')!.textContent!, /logits\.json is missing/);
    assert.equal(bare.querySelectorAll('#misclassified img').length, 0);
  });

  it('draws confusion matrices of many classes as heat maps', async () => {
    const wide = await writeSyntheticExperiment(path.join(root, 'wide'), { losses: [{ id: 'ce' }, { id: 'focal' }], seeds: [1], classes: 30, testPerClass: 4, valPerClass: 2, epochs: 2 });
    const doc = parseHtml(await renderHtml(buildReportContext(wide, fast)));
    assert.equal(doc.querySelectorAll('#confusion table.confusion').length, 0);
    assert.equal(doc.querySelectorAll('#confusion svg.chart').length, 2);
    assert.ok(doc.querySelectorAll('#confusion svg rect title').length > 30, 'cells carry their counts as tooltips');
  });
});

describe('reproducibility block', () => {
  it('gives a configuration and a flags command that parse back to the same experiment', async () => {
    const ctx = buildReportContext(dir, fast);
    const expected = reproductionConfig(results);
    assert.deepEqual(parseExperimentConfig(JSON.parse(ctx.reproduction.configJson)), expected);
    const words = shellWords(ctx.reproduction.flagsCommand!);
    assert.deepEqual(words.slice(0, 2), ['losslab', 'run']);
    const program = new Command('losslab').exitOverride();
    registerRunCommand(program);
    let flags: unknown;
    program.commands.find((c) => c.name() === 'run')!.action((f: unknown) => {
      flags = f;
    });
    await program.parseAsync(['node', ...words], { from: 'node' });
    const { name: _name, ...rest } = expected;
    assert.deepEqual(parseExperimentConfig(configFromFlags(flags as Parameters<typeof configFromFlags>[0])), rest);
  });
});

describe('CSV report', () => {
  it('round-trips every tidy table', async () => {
    const out = path.join(root, 'csv');
    const files = await exportReport(dir, 'csv', out, fast);
    assert.deepEqual(files, CSV_TABLES.map((t) => path.join(out, `${t}.csv`)));
    const tables = csvTables(buildReportContext(dir, fast));
    for (const t of CSV_TABLES) {
      const records = parseCsvRecords(fs.readFileSync(path.join(out, `${t}.csv`), 'utf8'));
      const [header, ...rows] = tables[t];
      assert.equal(records.length, rows.length, t);
      rows.forEach((row, r) =>
        row.forEach((cell, k) => {
          const text = records[r]![String(header![k])]!;
          if (typeof cell === 'number') assert.ok(Math.abs(Number(text) - cell) <= 1e-9 * Math.max(1, Math.abs(cell)), `${t} row ${r} ${String(header![k])}: ${text} vs ${cell}`);
          else assert.equal(text, cell === null || cell === undefined ? '' : String(cell), `${t} row ${r} ${String(header![k])}`);
        }),
      );
    }
  });

  it('keeps the numbers of results.json: runs × metrics, per-class and confusion cells', async () => {
    const out = path.join(root, 'csv2', 'export.csv');
    const files = await exportReport(dir, 'csv', out, fast);
    assert.deepEqual(files, Object.values(csvPaths(out)));
    assert.ok(files.every((f) => /export-[a-z-]+\.csv$/.test(f)), 'a .csv path names sibling files');
    const read = (t: string) => parseCsvRecords(fs.readFileSync(path.join(root, 'csv2', `export-${t}.csv`), 'utf8'));
    const runs = read('runs');
    assert.deepEqual(Object.keys(runs[0]!).slice(7, 7 + ANALYSIS_METRICS.length), ANALYSIS_METRICS.map((m) => METRIC_COLUMNS[m]));
    for (const run of results.runs) {
      const row = runs.find((r) => r.run_id === run.runId && r.kind === 'trained')!;
      assert.ok(Math.abs(Number(row.balanced_accuracy) - run.metrics!.balancedAccuracy) < 1e-9);
      assert.ok(Math.abs(Number(row.nll) - run.metrics!.nll) < 1e-9);
    }
    assert.equal(runs.length, 2 * results.runs.length, 'trained runs and their post-hoc twins');
    const perClass = read('per-class');
    const one = perClass.find((r) => r.run_id === 'ce#seed2' && r.class === results.classes[3])!;
    assert.ok(Math.abs(Number(one.recall) - results.runs.find((r) => r.runId === 'ce#seed2')!.metrics!.perClass[3]!.recall) < 1e-9);
    const cells = read('confusion').filter((r) => r.run_id === 'ce#seed1');
    assert.equal(cells.length, 25, 'long form: every cell, zeros included');
    assert.equal(cells.reduce((s, r) => s + Number(r.count), 0), results.testItems.length);
    const cell = cells.find((r) => r.true_class === results.classes[4] && r.predicted_class === results.classes[0])!;
    assert.equal(Number(cell.count), results.runs.find((r) => r.runId === 'ce#seed1')!.confusion![4]![0]);
  });
});

describe('JSON and Markdown reports', () => {
  it('JSON holds the full results and the analysis', async () => {
    const out = path.join(root, 'r.json');
    assert.deepEqual(await exportReport(dir, 'json', out, fast), [out]);
    const json = JSON.parse(fs.readFileSync(out, 'utf8')) as { results: unknown; analysis: unknown; reproduction: { command: string } };
    assert.deepEqual(json.results, results);
    assert.deepEqual(json.analysis, JSON.parse(JSON.stringify(analyzeExperimentFolder(dir, fast))));
    assert.equal(json.reproduction.command, 'losslab run --config losslab-config.json');
  });

  it('Markdown summarises the comparison', async () => {
    const out = path.join(root, 'r.md');
    await exportReport({ folder: dir, format: 'md', path: out, options: fast });
    const md = fs.readFileSync(out, 'utf8');
    for (const heading of ['## The question asked', '## Comparison', '## Against the baseline (Cross-entropy)', '## Ranking', '## Per-class recall (head → tail)', '## Reproduce']) assert.ok(md.includes(heading), heading);
    assert.match(md, /\| Focal loss \(softmax\) \(γ = 1\) \+ post-hoc LA \(τ = 1\) \|/);
    assert.match(md, /```json\n\{/);
  });
});

describe('report command', () => {
  it('writes the chosen format where asked and prints the files', async () => {
    const program = new Command('losslab').exitOverride();
    registerReportCommand(program);
    const out = path.join(root, 'cli.md');
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'losslab', 'report', dir, '--format', 'md', '--out', out, '--baseline', 'focal', '--resamples', '300', '--no-posthoc']);
    } finally {
      process.stdout.write = original;
    }
    assert.deepEqual(written, [`${out}\n`]);
    const md = fs.readFileSync(out, 'utf8');
    assert.match(md, /## Against the baseline \(Focal loss \(softmax\) \(γ = 1\)\)/);
    assert.doesNotMatch(md, /post-hoc LA \(τ = 1\) \|/);
    await assert.rejects(program.parseAsync(['node', 'losslab', 'report', path.join(root, 'missing', 'x'), '--format', 'md']), /No such folder/);
    await assert.rejects(program.parseAsync(['node', 'losslab', 'report', dir, '--format', 'md', '--out', out, '--baseline', 'hinge', '--force']), /not among the trained losses/);
  });

  it('refuses to replace a file without --force, adds the extension, and keeps out of the dataset', async () => {
    const quiet = async (args: string[]) => {
      // A fresh program each time: commander keeps option values between parses.
      const program = new Command('losslab').exitOverride();
      registerReportCommand(program);
      const original = process.stdout.write.bind(process.stdout);
      const written: string[] = [];
      process.stdout.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
      try {
        await program.parseAsync(['node', 'losslab', 'report', dir, '--format', 'md', '--resamples', '200', ...args]);
      } finally {
        process.stdout.write = original;
      }
      return written;
    };
    const existing = path.join(root, 'existing.md');
    fs.writeFileSync(existing, 'mine');
    await assert.rejects(quiet(['--out', existing]), /existing\.md already exists\. Choose another --out, or add --force/);
    assert.equal(fs.readFileSync(existing, 'utf8'), 'mine');
    assert.deepEqual(await quiet(['--out', existing, '--force']), [`${existing}\n`]);
    assert.match(fs.readFileSync(existing, 'utf8'), /## Comparison/);
    const bare = path.join(root, 'bare-name');
    assert.deepEqual(await quiet(['--out', bare]), [`${bare}.md\n`]);
    assert.equal(fs.existsSync(bare), false);
    await assert.rejects(quiet(['--out', path.join(results.config.data, 'report.md')]), /inside the dataset folder/);
    await assert.rejects(quiet(['--out', path.join(root, 'no-such-folder', 'r.md')]), /does not exist\. Create it first/);
    const zip = path.join(root, 'tables.zip');
    assert.deepEqual(await quiet(['--format', 'csv', '--out', zip]), [`${zip}\n`]);
    assert.ok(fs.statSync(zip).size > 100);
  });
});

describe('Chromium discovery', () => {
  it('explains how to install Chromium when none exists', () => {
    assert.throws(
      () => findChromium({ PATH: '' }, []),
      (error: Error) => error instanceof ChromiumNotFoundError && /apt-get install chromium/.test(error.message) && /LOSSLAB_CHROMIUM/.test(error.message) && /--format html/.test(error.message),
    );
    assert.throws(() => findChromium({ LOSSLAB_CHROMIUM: path.join(root, 'no-browser') }), /not an executable/);
  });
});

function chromiumOrSkip(t: { skip(message: string): void }): string | null {
  try {
    return findChromium();
  } catch (error) {
    t.skip(`no Chromium on this machine (${(error as Error).message.slice(0, 60)}…); install it with \`apt-get install -y chromium\` to run this test`);
    return null;
  }
}

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['-v'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

describe('in Chromium', () => {
  it('opens the HTML offline with no network request, renders MathML and every thumbnail', async (t) => {
    const executablePath = chromiumOrSkip(t);
    if (!executablePath) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const file = path.join(root, 'view.html');
    await exportReport(dir, 'html', file, fast);
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const failed: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('requestfailed', (r) => failed.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      const network = requests.filter((u) => !u.startsWith('data:'));
      assert.deepEqual(network, [`file://${file}`], 'the document itself is the only request');
      assert.deepEqual(failed, []);
      assert.deepEqual(problems, [], 'no CSP violation or other console error');
      const state = await page.evaluate(() => {
        const d = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ naturalWidth?: number; getBoundingClientRect(): { height: number } }> } }).document;
        const imgs = Array.from(d.querySelectorAll('#misclassified img'));
        const maths = Array.from(d.querySelectorAll('#losses math'));
        return { images: imgs.length, decoded: imgs.filter((i) => (i.naturalWidth ?? 0) > 0).length, maths: maths.length, mathHeights: maths.map((m) => m.getBoundingClientRect().height) };
      });
      assert.ok(state.images > 0);
      assert.equal(state.decoded, state.images, 'every thumbnail decodes');
      assert.ok(state.maths >= 4 && state.mathHeights.every((h) => h > 10), `MathML laid out: ${state.mathHeights.join(',')}`);
    } finally {
      await browser.close();
    }
  });

  it('prints the PDF on A4 and Letter with the report text', async (t) => {
    if (!chromiumOrSkip(t)) return;
    if (!hasTool('pdfinfo') || !hasTool('pdftotext')) {
      t.skip('pdfinfo/pdftotext missing: install poppler-utils (`apt-get install -y poppler-utils`) to check the PDF');
      return;
    }
    const sizes = { a4: /Page size: +59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)/, letter: /Page size: +612 x 792 pts \(letter\)/ };
    for (const [paper, via] of [['a4', 'playwright'], ['letter', 'cli']] as const) {
      const out = path.join(root, `report-${paper}.pdf`);
      const ctx = buildReportContext(dir, fast);
      // The letter run uses the browser's own --print-to-pdf, the path taken without playwright-core.
      if (via === 'cli') await htmlToPdf(await renderHtml(ctx, { paper }), out, { paper, via });
      else await writeReport(ctx, 'pdf', out, { paper });
      const info = execFileSync('pdfinfo', [out], { encoding: 'utf8' });
      assert.match(info, sizes[paper], `${paper}: ${info}`);
      const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
      assert.ok(pages >= 5 && pages <= 40, `${paper}: ${pages} pages`);
      const text = execFileSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
      for (const [, title] of REPORT_SECTIONS) assert.ok(text.includes(title.split(':')[0]!.split(',')[0]!), `${paper}: section "${title}" in the PDF text`);
      assert.ok(text.includes('balanced-softmax') && text.includes('losslab run --config'), paper);
    }
  });
});
