import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { strFromU8, unzipSync, zipSync } from 'fflate';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, REPO_ROOT, browserTestsSkipReason, startServedApp, type ServedApp } from './served-app';

/**
 * The app in a real browser against the real served mode: open the sample dataset, impose a
 * long tail (ρ = 10), compare three losses in a short experiment, inspect the confusion
 * matrices and the images behind one cell. Screenshots of every screen go to
 * test-artifacts/e2e/ for a person to look at.
 */

/**
 * The page's document as these functions use it. They run in the browser, but are compiled by
 * the root tsconfig, which (rightly, for Node code) has no DOM library. Functions rather than
 * strings: the app's Content-Security-Policy forbids eval, which string predicates need.
 */
interface PageDocument {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): ArrayLike<{ complete: boolean }>;
}
type PageGlobal = { document: PageDocument };
// Each page function is serialised on its own, so each reaches the document itself.

/** Runs in the page: every image matched by the selector has finished loading (or failing). */
function allImagesComplete(selector: string): boolean {
  const doc = (globalThis as unknown as PageGlobal).document;
  return Array.from(doc.querySelectorAll(selector)).every((img) => img.complete);
}

/** Runs in the page: every image matching `selector` has loaded (a failed one may still be retried by the page). */
function allImagesLoaded(selector: string): boolean {
  const doc = (globalThis as unknown as PageGlobal).document;
  return Array.from(doc.querySelectorAll(selector)).every((img) => img.complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0);
}

/** Runs in the page: the imbalance preview shows a ratio near 10. */
function previewRatioNearTen(): boolean {
  const doc = (globalThis as unknown as PageGlobal).document;
  return Math.abs(Number(doc.querySelector('[data-testid="preview-ratio"]')?.textContent) - 10) < 1.5;
}

/** Runs in the page: a run is a third of the way through (so the screenshot shows progress), or all are done. */
function trainingVisible(): boolean {
  const doc = (globalThis as unknown as PageGlobal).document;
  const progress = Array.from(doc.querySelectorAll('tr.run [role="progressbar"]') as unknown as ArrayLike<{ getAttribute(name: string): string | null }>);
  return progress.some((bar) => Number(bar.getAttribute('aria-valuenow')) >= 30) || doc.querySelectorAll('tr.run.done').length === 3;
}

/** Runs in the page: focusable elements whose box reaches under the sticky Start bar (empty when none). */
function focusUnderStartBar(): string | null {
  const doc = (globalThis as unknown as { document: { activeElement: { id: string; tagName: string; getBoundingClientRect(): { bottom: number } } | null; querySelector(s: string): { contains(e: unknown): boolean; getBoundingClientRect(): { top: number } } | null } }).document;
  const element = doc.activeElement;
  const bar = doc.querySelector('section.start');
  if (!element || !bar || bar.contains(element) || element.tagName === 'BODY') return null;
  return element.getBoundingClientRect().bottom > bar.getBoundingClientRect().top + 1 ? element.id || element.tagName : null;
}

/** Runs in the page: loss formulas whose typeset width runs past their card. */
function formulasCut(): number {
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ scrollWidth: number; clientWidth: number }> } }).document;
  return Array.from(doc.querySelectorAll('.formula .tex')).filter((tex) => tex.scrollWidth > tex.clientWidth + 1).length;
}

/** Runs in the page: the window's vertical scroll position. */
function scrollTop(): number {
  return (globalThis as unknown as { scrollY: number }).scrollY;
}

/** Runs in the page: images that failed to load have no natural width. */
function countBroken(images: unknown[]): number {
  return (images as { naturalWidth: number }[]).filter((img) => img.naturalWidth === 0).length;
}

/** Runs in the page: for each image that did not load, its address and what the server answers now (a failure says why). */
async function brokenImages(images: unknown[]): Promise<string[]> {
  const broken = (images as { naturalWidth: number; src: string }[]).filter((img) => img.naturalWidth === 0);
  const fetchIn = (globalThis as unknown as { fetch: (url: string) => Promise<{ status: number; text(): Promise<string> }> }).fetch;
  return Promise.all(broken.map(async (img) => {
    try {
      const answer = await fetchIn(img.src);
      return `${img.src} -> ${answer.status} ${answer.status === 200 ? '(loads now)' : (await answer.text()).slice(0, 200)}`;
    } catch (error) {
      return `${img.src} -> ${(error as Error).message}`;
    }
  }));
}

const skipReason = browserTestsSkipReason();
if (skipReason) console.log(`# Skipping the browser end-to-end tests: ${skipReason}`);

const LOSSES = ['Cross-entropy', 'Focal loss (softmax)', 'Balanced softmax'];
const TRAINING_TIMEOUT_MS = 8 * 60_000;

describe('served mode in Chromium', { skip: skipReason ?? false }, () => {
  let app: ServedApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  /**
   * A full-page screenshot stretches the viewport to the page's height, which leaves sticky
   * bars (header, start bar) painted mid-page and can leave the page mid-relayout afterwards.
   * They are made static for the shot only, and the layout is allowed to settle after it.
   */
  async function shot(name: string): Promise<void> {
    await page.evaluate('document.documentElement.classList.add("e2e-screenshot")');
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    await page.evaluate('document.documentElement.classList.remove("e2e-screenshot")');
    await page.waitForTimeout(200);
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startServedApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    context = await browser.newContext({ viewport: { width: 1400, height: 950 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
    });
    await page.goto(app.url);
    await page.addStyleTag({ content: '.e2e-screenshot header.top, .e2e-screenshot section.start { position: static !important; }' });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('opens the sample dataset with counts, thumbnails and a summary', async () => {
    await page.getByRole('button', { name: 'Use sample dataset' }).click();
    await page.getByRole('heading', { name: 'Examples per class' }).waitFor({ timeout: 120_000 });
    const bars = page.getByRole('list', { name: 'Images per class' }).getByRole('listitem');
    assert.equal(await bars.count(), 10, 'one bar per digit class');
    // Every thumbnail must actually have loaded through /files (a broken image has naturalWidth 0).
    const thumbnails = page.locator('ul[aria-label^="Example images of"] img');
    await page.waitForFunction(allImagesComplete, 'ul[aria-label^="Example images of"] img');
    const broken = await thumbnails.evaluateAll(countBroken);
    assert.ok((await thumbnails.count()) >= 10, 'thumbnails are shown');
    assert.equal(broken, 0, 'no thumbnail failed to load');
    await shot('01-dataset');
  });

  it('flags split fractions that add up to more than 1 on the Dataset screen, as they are typed', async () => {
    await page.getByLabel('Test fraction').fill('0.6');
    await page.getByLabel('Validation fraction').fill('0.5');
    const problem = page.getByTestId('split-sum-problem');
    await problem.waitFor();
    assert.match((await problem.textContent()) ?? '', /add up to 1\.1, more than all the images/);
    await page.getByLabel('Test fraction').fill('0.2');
    await page.getByLabel('Validation fraction').fill('0.1');
    await problem.waitFor({ state: 'detached' });
  });

  it('previews a long tail of ratio 10 on the Experiment screen', async () => {
    // The next step is in view once a dataset is open, not below the fold; the next screen starts at its top.
    const next = page.getByRole('button', { name: /Next: design the experiment/ });
    const box = (await next.boundingBox())!;
    assert.ok(box.y + box.height < 950, `the Next button is in the first screenful (y = ${box.y})`);
    await page.evaluate('window.scrollTo(0, 400)');
    await next.click();
    await page.getByLabel('Long-tail').waitFor();
    assert.equal(await page.evaluate(scrollTop), 0, 'the Experiment screen opens at its top');
    await page.getByLabel('Long-tail').check();
    await page.getByLabel('Imbalance ratio ρ', { exact: true }).fill('10');
    // Counts are whole images, so the measured ratio is close to, not exactly, 10.
    await page.waitForFunction(previewRatioNearTen);
    const previewBars = page.getByRole('list', { name: /Training images per class after imbalance/ }).getByRole('listitem');
    assert.equal(await previewBars.count(), 10);
    await shot('02-experiment-imbalance');
  });

  it('shows the parameter count the engine measures for the chosen network', async () => {
    const size = page.getByTestId('network-size');
    await size.filter({ hasText: /trainable parameters/ }).waitFor();
    await page.getByRole('radio', { name: 'CIFAR ResNet' }).check();
    await page.getByLabel('Depth', { exact: true }).selectOption('20');
    // ResNet-20 has 269,722 trainable parameters on RGB input; a gray first conv has 2 × 9 × 16 fewer.
    const channels = ((await page.getByText(/^\d+ × \d+ × [13]$/).textContent()) ?? '').trim().slice(-1);
    const expected = channels === '1' ? '269,434' : '269,722';
    await size.filter({ hasText: `${expected} trainable parameters` }).waitFor();
    assert.match((await size.textContent()) ?? '', /MFLOPs per image/);
    await page.getByTestId('network-size').scrollIntoViewIfNeeded();
    await shot('02b-experiment-network');
    // The experiment below trains the CNN: a ResNet would be too slow for this test.
    await page.getByRole('radio', { name: 'CNN' }).check();
    await size.filter({ hasText: /trainable parameters/ }).filter({ hasNotText: expected }).waitFor();
  });

  it('finds the imbalance losses by purpose, and fits every formula in its card', async () => {
    const filter = page.getByLabel('Filter losses');
    await filter.fill('imbalance');
    for (const name of ['Class-balanced cross-entropy', 'LDAM (with DRW)', 'Balanced softmax', 'Logit-adjusted cross-entropy']) {
      await page.getByRole('checkbox', { name, exact: true }).waitFor();
    }
    assert.equal(await page.getByRole('checkbox', { name: 'Cross-entropy', exact: true }).count(), 0);
    await filter.fill('');
    assert.equal(await page.evaluate(formulasCut), 0, 'no formula runs past its card at 1400 px');
    await page.setViewportSize({ width: 900, height: 950 });
    assert.equal(await page.evaluate(formulasCut), 0, 'nor at 900 px');
    // The header keeps one line at 900 px: every tab on the same row.
    const tops = await page.getByRole('navigation', { name: 'Screens' }).getByRole('button').evaluateAll((tabs) => tabs.map((t) => Math.round(t.getBoundingClientRect().top)));
    assert.equal(new Set(tops).size, 1, `tabs on one row at 900 px (tops ${tops.join(', ')})`);
    await page.setViewportSize({ width: 1400, height: 950 });
  });

  it('says whether the seeds field holds a count or a list', async () => {
    const seeds = page.getByLabel(/^Seeds/);
    await seeds.fill('3');
    const hint = page.getByTestId('seeds-hint');
    assert.match((await hint.textContent()) ?? '', /One seed, number 3.*For 3 seeds, write 1-3/s);
    await page.getByRole('button', { name: 'Use seeds 1–3' }).click();
    assert.equal(await seeds.inputValue(), '1-3');
    assert.match((await hint.textContent()) ?? '', /3 seeds \(1, 2, 3\)/);
    await seeds.fill('1');
  });

  it('builds a recipe (cross-entropy + class-balanced sampler) and sees it in the design summary', async () => {
    await page.getByRole('button', { name: 'Add recipe' }).click();
    const entry = page.getByTestId('recipe-entry');
    await entry.getByLabel('Loss', { exact: true }).selectOption('ce');
    await entry.getByLabel('Sampler', { exact: true }).selectOption('class-balanced');
    await entry.getByTestId('recipe-name').filter({ hasText: /^Cross-entropy \+ class-balanced sampler$/ }).waitFor();
    await page.getByTestId('design-entries').filter({ hasText: 'Cross-entropy + class-balanced sampler' }).waitFor();
    // The main side's rule: the same sampler on a loss that already removes the prior is refused, with the reason.
    await entry.getByLabel('Loss', { exact: true }).selectOption('balanced-softmax');
    await entry.getByTestId('recipe-refusal').filter({ hasText: 'over-correct' }).waitFor();
    await entry.getByLabel('Loss', { exact: true }).selectOption('ce');
    await entry.scrollIntoViewIfNeeded();
    await shot('02c-experiment-recipe');
    // The experiment below compares plain losses only.
    await entry.getByRole('button', { name: /^Remove recipe 1/ }).click();
    assert.equal(await page.getByTestId('recipe-entry').count(), 0);
  });

  it('keeps keyboard focus clear of the sticky Start bar', async () => {
    await page.evaluate('window.scrollTo(0, 0)');
    await page.getByLabel('Filter losses').focus();
    const hidden: string[] = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const under = await page.evaluate(focusUnderStartBar);
      if (under) hidden.push(under);
    }
    assert.deepEqual(hidden, []);
  });

  it('keeps the design across a page reload', async () => {
    for (const name of LOSSES) await page.getByRole('checkbox', { name, exact: true }).check();
    await page.getByLabel('Epochs').fill('3');
    await page.getByLabel('Batch size').fill('32');
    await page.getByLabel(/^Experiment name/).fill('e2e design');
    await page.reload();
    await page.addStyleTag({ content: '.e2e-screenshot header.top, .e2e-screenshot section.start { position: static !important; }' });
    // The dataset reopens by itself, with the design that was on screen.
    await page.getByRole('heading', { name: 'Examples per class' }).waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Experiment', exact: true }).click();
    for (const name of LOSSES) assert.equal(await page.getByRole('checkbox', { name, exact: true }).isChecked(), true, `${name} still ticked`);
    assert.equal(await page.getByLabel('Epochs').inputValue(), '3');
    assert.equal(await page.getByLabel('Batch size').inputValue(), '32');
    assert.equal(await page.getByLabel(/^Experiment name/).inputValue(), 'e2e design');
    assert.equal(await page.getByLabel('Long-tail').isChecked(), true);
    await page.waitForFunction(previewRatioNearTen);
    assert.equal(await page.getByText('No dataset is open yet.').count(), 0);
  });

  it('runs a short experiment comparing three losses, with live progress', async () => {
    for (const name of LOSSES) await page.getByRole('checkbox', { name, exact: true }).check();
    await page.getByLabel('Epochs').fill('3');
    await page.getByLabel('Batch size').fill('32');
    await shot('03-experiment-losses');
    await page.getByRole('button', { name: 'Start experiment' }).click();

    // The Training screen is titled with the experiment's name, kept from the design.
    await page.getByRole('heading', { name: /^e2e design/ }).waitFor();
    const rows = page.locator('tr.run');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 3, 'one row per loss × seed');
    // Catch a moment with visible progress for the screenshot, if training is not over by then.
    await page
      .waitForFunction(trainingVisible, undefined, { timeout: 120_000 })
      .catch(() => undefined);
    await shot('04-training');

    const viewResults = page.getByRole('button', { name: 'View results →' });
    await viewResults.waitFor({ timeout: TRAINING_TIMEOUT_MS });
    assert.equal(await page.locator('tr.run.done').count(), 3, 'every run finished');
    await shot('05-training-done');
    await viewResults.click();
  });

  it('shows one confusion matrix per loss and the comparison with the best marked', async () => {
    const matrices = page.getByRole('table', { name: /^Confusion matrix for/ });
    await matrices.first().waitFor();
    assert.equal(await matrices.count(), 3);
    const comparisonRows = page.locator('table.comparison tbody tr:not(.posthoc)');
    assert.equal(await comparisonRows.count(), 3);
    assert.ok((await page.locator('table.comparison td.best').count()) >= 8, 'each of the 8 metric columns marks a best loss');
    assert.match((await page.getByTestId('results-network').textContent()) ?? '', /^CNN, 3 conv blocks, width 16, [\d,]+ trainable parameters$/);
    await page.getByRole('img', { name: 'Test recall per class' }).waitFor();
    await shot('06-results');
  });

  it('puts the verdict first, then the paired comparison, post-hoc rows, calibration and per-class table', async () => {
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor();
    const verdictText = (await verdict.textContent()) ?? '';
    // "X is best: +0.123 balanced accuracy over Cross-entropy [+0.050, +0.200] (95% paired bootstrap); …", or CE itself is best.
    assert.match(verdictText, /^(.+) is best: (?:[+−±]\d\.\d{3} balanced accuracy over Cross-entropy \[[+−±]\d\.\d{3}, [+−±]\d\.\d{3}\] \(95% paired bootstrap(?:, not significant)?\)|balanced accuracy \d\.\d{3})/);
    assert.doesNotMatch(verdictText, /\w+\(\w+=/, 'display names, never internal ids');

    const paired = page.getByTestId('paired-table');
    await paired.waitFor();
    // Baseline, two other losses, three post-hoc logit-adjusted rows and three τ-normalised ones.
    assert.equal(await paired.locator('tbody tr').count(), 9);
    assert.match((await paired.locator('tbody tr').first().textContent()) ?? '', /Cross-entropy \(baseline\)/);
    assert.equal(await paired.locator('.badge').count(), 8, 'every comparison says whether it is significant');
    assert.match((await paired.textContent()) ?? '', /seed 1: b=\d+, c=\d+, p/);
    await page.getByRole('img', { name: 'Difference in balanced accuracy against Cross-entropy' }).waitFor();
    assert.equal(await page.locator('table.comparison tbody tr.posthoc').count(), 3, 'a post-hoc row under each loss');
    assert.equal(await page.locator('[data-testid="calibration-table"] tbody tr').count(), 9, 'each trained loss, its post-hoc logit-adjusted and its τ-normalised row');
    await page.getByRole('img', { name: 'Reliability diagram: Balanced softmax' }).waitFor();
    assert.equal(await page.locator('[data-testid="per-class-table"] td[data-measure="f1"]').count(), 3 * 10, 'F1 of each of ten classes for three losses');

    // Another baseline: the main process recomputes the comparisons against it.
    await page.getByLabel('Baseline', { exact: true }).selectOption({ label: 'Balanced softmax' });
    await page.getByRole('img', { name: 'Difference in balanced accuracy against Balanced softmax' }).waitFor();
    assert.match((await paired.locator('tbody tr').first().textContent()) ?? '', /Balanced softmax \(baseline\)/);
    await page.locator('#paired-title').scrollIntoViewIfNeeded();
    await shot('06b-results-paired');
  });

  it('keeps every comparison column reachable at 900 px, and says so when the table scrolls', async () => {
    await page.setViewportSize({ width: 900, height: 950 });
    try {
      const box = page.locator('[aria-label="Comparison table"]');
      const { scrollWidth, clientWidth } = await box.evaluate((el) => ({ scrollWidth: (el as unknown as { scrollWidth: number }).scrollWidth, clientWidth: (el as unknown as { clientWidth: number }).clientWidth }));
      if (scrollWidth > clientWidth + 1) await page.getByTestId('scroll-hint').first().waitFor();
      // Scrolled to its end, the table shows its last column whole inside the scroll box.
      await box.evaluate((el) => {
        const scroller = el as unknown as { scrollLeft: number; scrollWidth: number };
        scroller.scrollLeft = scroller.scrollWidth;
      });
      const lastHeader = await page.locator('table.comparison thead th').last().boundingBox();
      const boxBounds = await box.boundingBox();
      assert.ok(lastHeader && boxBounds && lastHeader.x >= boxBounds.x && lastHeader.x + lastHeader.width <= boxBounds.x + boxBounds.width + 1, 'the last column can be reached');
      await page.locator('#comparison-title').scrollIntoViewIfNeeded();
      await shot('06d-results-900px');
    } finally {
      await page.setViewportSize({ width: 1400, height: 950 });
    }
  });

  it('shows each test image with what every loss predicted, page by page', async () => {
    const table = page.getByTestId('predictions-table');
    await table.waitFor();
    assert.deepEqual(await table.locator('thead th.loss').allTextContents(), LOSSES);
    const first = table.locator('tbody tr').first();
    assert.equal(await first.locator('td.prediction').count(), 3);
    assert.match((await first.locator('td.prediction').first().getAttribute('aria-label')) ?? '', /^Cross-entropy: .+, \d+ %, (right|wrong)$/);
    const range = page.getByTestId('predictions-range');
    assert.match((await range.textContent()) ?? '', /^1–12 of \d+$/);
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.waitForFunction(() => /^13–/.test((globalThis as unknown as PageGlobal).document.querySelector('[data-testid="predictions-range"]')?.textContent ?? ''));
    // Waits for the images to load (the page retries a failed one), then names any that did not.
    await page.waitForFunction(allImagesLoaded, '[data-testid="predictions-table"] img', { timeout: 15_000 }).catch(() => undefined);
    const broken = await table.locator('img').evaluateAll(brokenImages);
    assert.deepEqual(broken, [], 'every test image loaded');
    await page.getByLabel('Show', { exact: true }).selectOption('wrong');
    await page.waitForFunction(() => /^1–/.test((globalThis as unknown as PageGlobal).document.querySelector('[data-testid="predictions-range"]')?.textContent ?? '') || (globalThis as unknown as PageGlobal).document.querySelector('[data-testid="predictions-range"]')?.textContent === '0–0 of 0');
    await table.scrollIntoViewIfNeeded();
    await shot('06c-results-per-image');
  });

  it('downloads a trained model as a .zip', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download model (.zip)' }).click()]);
    assert.match(download.suggestedFilename(), /^losslab-.+-Cross-entropy-seed\d+\.zip$/);
    const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    assert.deepEqual(Object.keys(files).map((f) => f.split('/').pop()).sort(), ['model.json', 'weights.bin']);
  });

  it('opens the images behind a confusion cell', async () => {
    await page.getByLabel('Row-normalised (recall)').check();
    // Prefer a misclassification; fall back to a correct cell if a loss made none.
    const cells = page.locator('table[aria-label^="Confusion matrix for"] button.cell');
    const labels = await cells.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label') ?? ''));
    const parse = (label: string) => /^True (.+), predicted (.+): (\d+) image/.exec(label);
    let index = labels.findIndex((label) => {
      const m = parse(label);
      return m !== null && m[1] !== m[2] && Number(m[3]) > 0;
    });
    if (index < 0) index = labels.findIndex((label) => Number(parse(label)?.[3] ?? 0) > 0);
    assert.ok(index >= 0, 'some cell holds images');
    const expected = Number(parse(labels[index]!)![3]);
    await cells.nth(index).click();

    const gallery = page.getByRole('list', { name: /^Test images: true/ });
    await gallery.waitFor();
    const images = gallery.locator('img');
    assert.equal(await images.count(), Math.min(expected, 60));
    await page.waitForFunction(allImagesComplete, 'ul[aria-label^="Test images"] img');
    const broken = await images.evaluateAll(countBroken);
    assert.equal(broken, 0, 'every misclassified image loaded');
    await page.locator('.cell-images').scrollIntoViewIfNeeded();
    await shot('07-results-cell-images');
  });

  it('reaches a cell with the keyboard alone', async () => {
    await page.getByRole('button', { name: 'Close' }).click();
    const firstCell = page.locator('table[aria-label^="Confusion matrix for"]').first().locator('button.cell[tabindex="0"]');
    await firstCell.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /true .* → predicted/ }).waitFor();
  });

  it('downloads an export to the browser by default: one file, and a .zip of the CSV tables', async () => {
    const exportFormat = page.getByLabel('Export', { exact: true });
    await exportFormat.selectOption('html');
    const [html] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download', exact: true }).click()]);
    assert.match(html.suggestedFilename(), /^losslab-.+\.html$/);
    const htmlText = readFileSync((await html.path())!, 'utf8');
    assert.match(htmlText, /^<!DOCTYPE html>/i);
    assert.match(htmlText, /— LossLab report<\/title>/);
    await exportFormat.selectOption('csv');
    const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download', exact: true }).click()]);
    assert.match(zip.suggestedFilename(), /^losslab-.+-csv\.zip$/);
    const tables = unzipSync(new Uint8Array(readFileSync((await zip.path())!)));
    assert.deepEqual(Object.keys(tables).sort(), ['comparisons.csv', 'confusion.csv', 'mcnemar.csv', 'per-class.csv', 'reliability.csv', 'runs.csv', 'summary.csv']);
    assert.match(strFromU8(tables['runs.csv']!), /^row,kind,loss,/);
    await page.getByRole('status').filter({ hasText: /^Downloaded losslab-.+-csv\.zip$/ }).waitFor();
  });

  it('saves on the server only when asked, and asks before replacing a file', async () => {
    await page.getByLabel('Export', { exact: true }).selectOption('md');
    await page.getByRole('button', { name: 'Save on the server…' }).click();
    const where = page.getByLabel('Path on the server');
    const save = page.getByRole('button', { name: 'Save', exact: true });
    // A relative path is below --root; the extension is added.
    await where.fill('e2e-report');
    await save.click();
    const saved = page.getByRole('status').filter({ hasText: /^Saved to .*e2e-report\.md$/ });
    await saved.waitFor();
    const file = /^Saved to (.*)$/.exec((await saved.textContent()) ?? '')![1]!;
    assert.match(readFileSync(file, 'utf8'), /## Comparison/);
    writeFileSync(file, 'the user’s own notes');

    await save.click();
    const question = page.getByRole('alertdialog');
    await question.waitFor();
    assert.match((await question.textContent()) ?? '', /Replace the existing file\?.*e2e-report\.md already exists/s);
    await shot('13-export-replace-question');
    await page.getByRole('button', { name: 'Keep the existing file' }).click();
    await page.getByRole('status').filter({ hasText: 'Not saved: the existing file was kept.' }).waitFor();
    assert.equal(readFileSync(file, 'utf8'), 'the user’s own notes', 'declining wrote nothing');

    await save.click();
    await page.getByRole('button', { name: 'Replace', exact: true }).click();
    await saved.waitFor();
    assert.match(readFileSync(file, 'utf8'), /## Comparison/, 'replaced after confirmation');
  });

  it('explains folders, missing folders and places outside --root, and writes nothing there', async () => {
    const where = page.getByLabel('Path on the server');
    const save = page.getByRole('button', { name: 'Save', exact: true });
    const failure = page.getByRole('alert').filter({ hasText: 'Could not save the export on the server' });
    const attempts: [string, RegExp][] = [
      ['.', /is a folder\. Give the name of the file to write inside it/],
      ['no/such/folder/report', /does not exist\. Create it first/],
      [path.join(REPO_ROOT, 'assets', 'sample', 'digits', '0', '0000.png'), /may not write .*Save the export to a folder below/],
    ];
    for (const [asked, expected] of attempts) {
      await where.fill(asked);
      await save.click();
      await failure.waitFor();
      const text = (await failure.textContent()) ?? '';
      assert.match(text, expected);
      assert.match(text, /What to do:/);
      assert.doesNotMatch(text, /EISDIR|ENOENT|rename/);
      await failure.getByRole('button', { name: /Dismiss|Close/ }).first().click();
      await failure.waitFor({ state: 'detached' });
    }
    assert.equal(existsSync(path.join(REPO_ROOT, 'assets', 'sample', 'digits', '0', '0000.png.md')), false);
    await page.getByRole('button', { name: 'Save on the server…' }).click();
  });

  it('lists the experiment in History', async () => {
    await page.getByRole('button', { name: 'History', exact: true }).click();
    const open = page.getByRole('button', { name: /^Open / });
    await open.first().waitFor();
    assert.equal(await open.count(), 1);
    await shot('08-history');
  });

  it('duplicates a past experiment into the Experiment screen for editing', async () => {
    // Change the design first, so the duplicate visibly replaces it.
    await page.getByRole('button', { name: 'Experiment', exact: true }).click();
    await page.getByLabel('Epochs').fill('9');
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.getByRole('button', { name: 'Duplicate e2e design' }).click();
    await page.getByLabel(/^Experiment name/).waitFor();
    assert.equal(await page.getByLabel(/^Experiment name/).inputValue(), 'e2e design (copy)');
    assert.equal(await page.getByLabel('Epochs').inputValue(), '3');
    for (const name of LOSSES) assert.equal(await page.getByRole('checkbox', { name, exact: true }).isChecked(), true, `${name} ticked`);
    assert.equal(await page.getByRole('checkbox', { name: 'LDAM (with DRW)', exact: true }).isChecked(), false);
    await page.waitForFunction(previewRatioNearTen);
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.getByRole('button', { name: 'Run e2e design again' }).waitFor();
  });

  it('switches to the dark theme', async () => {
    await page.getByRole('button', { name: 'Results', exact: true }).click();
    await page.getByRole('button', { name: /Dark theme/ }).click();
    assert.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark');
    await shot('09-results-dark');
    await page.getByRole('button', { name: 'Dataset', exact: true }).click();
    await page.getByRole('heading', { name: 'Examples per class' }).waitFor();
    // Thumbnails load lazily: scroll them into view and wait, so the screenshot shows them.
    await page.locator('ul[aria-label^="Example images of"]').last().scrollIntoViewIfNeeded();
    await page.waitForFunction(allImagesComplete, 'ul[aria-label^="Example images of"] img');
    await shot('10-dataset-dark');
  });

  it('explains a folder that cannot be opened, and what to do', async () => {
    await page.getByLabel('Or type a folder path').fill('/no/such/folder');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not open the dataset' });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /What to do:/);
    // Outside --root: the same answer whether it exists or not, naming --root; never a button served mode lacks.
    assert.match((await alert.textContent()) ?? '', /outside the folder this server shares/);
    assert.doesNotMatch((await alert.textContent()) ?? '', /Open folder…/);
    await shot('11-dataset-error');
    await alert.getByRole('button', { name: /Dismiss|Close/ }).first().click();
    const root = /Folder browser root: (.+)/.exec(app.output())?.[1]?.trim();
    if (root) {
      await page.getByLabel('Or type a folder path').fill(path.join(root, 'no-such-folder'));
      await page.getByRole('button', { name: 'Open', exact: true }).click();
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /no-such-folder does not exist/);
      assert.doesNotMatch((await alert.textContent()) ?? '', /Open folder…/);
    }
  });

  it('cancels one run, then all, and says what was left undone', async () => {
    await page.getByRole('button', { name: 'Experiment', exact: true }).click();
    await page.getByLabel('Epochs').fill('200');
    await page.getByRole('button', { name: 'Start experiment' }).click();
    await page.locator('tr.run.running').first().waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: /^Cancel Cross-entropy, seed 1$/ }).click();
    await page.locator('tr.run.cancelled').first().waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel all', exact: true }).click();
    // Nothing is cancelled until the user confirms.
    const question = page.getByRole('alertdialog');
    await question.waitFor();
    assert.match((await question.textContent()) ?? '', /Cancel all 2 unfinished runs\?/);
    await page.getByRole('button', { name: 'Keep training' }).click();
    await question.waitFor({ state: 'detached' });
    assert.equal(await page.locator('tr.run.cancelled').count(), 1, 'declining cancelled nothing');
    await page.getByRole('button', { name: 'Cancel all', exact: true }).click();
    await page.getByRole('button', { name: 'Cancel all runs' }).click();
    const finished = page.getByRole('status').filter({ hasText: /^Finished: 0 of 3 runs completed, 3 cancelled/ });
    await finished.waitFor({ timeout: 120_000 });
    assert.equal(await page.locator('tr.run.cancelled').count(), 3);
    await shot('12-training-cancelled');
    // Results say what happened instead of showing empty charts.
    await page.getByRole('button', { name: 'View results →' }).click();
    await page.getByRole('heading', { name: 'This experiment was cancelled' }).waitFor();
    assert.equal(await page.getByRole('table', { name: /^Confusion matrix for/ }).count(), 0);
  });

  it('uploads a folder from this computer into a workspace on the server and opens it', async () => {
    // A laptop's folder: three classes of three sample digits, plus clutter the upload leaves out.
    const laptop = path.join(mkdtempSync(path.join(os.tmpdir(), 'losslab-laptop-')), 'my digits');
    for (const digit of ['0', '1', '2']) {
      mkdirSync(path.join(laptop, `class ${digit}`), { recursive: true });
      for (const image of readdirSync(path.join(REPO_ROOT, 'assets', 'sample', 'digits', digit)).slice(0, 3)) {
        copyFileSync(path.join(REPO_ROOT, 'assets', 'sample', 'digits', digit, image), path.join(laptop, `class ${digit}`, image));
      }
    }
    writeFileSync(path.join(laptop, '.DS_Store'), 'clutter');
    writeFileSync(path.join(laptop, 'notes.txt'), 'not an image');
    await page.getByRole('button', { name: 'Dataset', exact: true }).click();
    await page.getByText('Upload images from this computer').waitFor();
    await page.getByLabel('Folder to upload').setInputFiles(laptop);
    const done = page.getByRole('status').filter({ hasText: /^Uploaded 9 images/ });
    await done.waitFor({ timeout: 60_000 });
    assert.match((await done.textContent()) ?? '', /losslab-uploads[/\\]my digits; 2 other files left out/);
    const progress = page.getByRole('progressbar', { name: 'Upload progress' });
    assert.equal(await progress.getAttribute('aria-valuenow'), '100');
    // The workspace opens as the dataset: its folder, and one bar per uploaded class.
    await page.locator('dd.path').filter({ hasText: /losslab-uploads[/\\]my digits$/ }).waitFor({ timeout: 60_000 });
    const bars = page.getByRole('list', { name: 'Images per class' }).getByRole('listitem');
    assert.equal(await bars.count(), 3);
    const root = /Folder browser root: (.+)/.exec(app.output())?.[1]?.trim();
    assert.ok(root, 'the server printed its root');
    assert.deepEqual(readdirSync(path.join(root, 'losslab-uploads', 'my digits')).sort(), ['class 0', 'class 1', 'class 2']);
    await shot('13-dataset-uploaded');
  });

  it('uploads a .zip, refuses one that leads out of its workspace, and opens the good one', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'losslab-laptop-zip-'));
    const digit = (d: string, i: number) => readFileSync(path.join(REPO_ROOT, 'assets', 'sample', 'digits', d, readdirSync(path.join(REPO_ROOT, 'assets', 'sample', 'digits', d))[i]!));
    const evil = path.join(work, 'evil.zip');
    writeFileSync(evil, zipSync({ 'a/1.png': digit('3', 0), '../../escaped.png': digit('3', 1), 'b/2.png': digit('4', 0) }));
    await page.getByLabel('Zip file to upload').setInputFiles(evil);
    const refused = page.getByRole('alert').filter({ hasText: 'The upload stopped' });
    await refused.waitFor({ timeout: 60_000 });
    assert.match((await refused.textContent()) ?? '', /leads out of the workspace/);
    const root = /Folder browser root: (.+)/.exec(app.output())?.[1]?.trim() ?? '';
    assert.equal(existsSync(path.join(root, 'losslab-uploads', 'evil')) && readdirSync(path.join(root, 'losslab-uploads', 'evil')).length > 0, false, 'nothing from the refused zip was kept');
    assert.equal(existsSync(path.join(root, 'escaped.png')) || existsSync(path.join(root, 'losslab-uploads', 'escaped.png')), false);
    const good = path.join(work, 'two digits.zip');
    writeFileSync(good, zipSync({ 'three/1.png': digit('3', 0), 'three/2.png': digit('3', 1), 'four/1.png': digit('4', 0), 'four/2.png': digit('4', 1), '__MACOSX/three/._1.png': new Uint8Array(4) }));
    await page.getByLabel('Zip file to upload').setInputFiles(good);
    await page.getByRole('status').filter({ hasText: /^Uploaded 4 images .*two digits; 1 other file left out\.$/ }).waitFor({ timeout: 60_000 });
    await page.locator('dd.path').filter({ hasText: /losslab-uploads[/\\]two digits$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByRole('list', { name: 'Images per class' }).getByRole('listitem').count(), 2);
  });

  it('raised no script errors along the way', () => {
    // The deliberate failure above answers 4xx, which Chromium logs as a failed resource.
    const unexpected = pageErrors.filter((e) => !/Failed to load resource: the server responded with a status of (4\d\d)/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
