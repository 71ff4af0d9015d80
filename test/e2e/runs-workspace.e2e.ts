import { expect, test, type Page } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCache } from '../../src/main/db/connection';
import type { Metrics } from '../../src/shared/domain/metrics';
import { comparisonColumns, comparisonRows, delimitedTable } from '../../src/shared/domain/run-diff';
import { referenceExampleCategories } from '../../src/shared/domain/presets';
import { fixtureHistory, fixtureRunConfig, insertRunWithScores, type FixtureRun } from '../fixtures/run-fixture';
import { projectRoot, startServedApp, type ServedApp } from './serve-harness';

const screenshots = join(projectRoot, 'test-results');
const headlines = ['microF1', 'jaccard', 'precision', 'recall', 'mAP'] as const;

interface CompareJson {
  runs: { runId: string; name: string }[];
  diff: { key: string; values: ({ missing: true } | { missing: false; value: unknown })[] }[];
  settings: number;
  metrics: ((Metrics & { runId: string }) | null)[];
}

let app: ServedApp;
let scratch: string;

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'mlw-e2e-runs-'));
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Deterministic scores that overlap between labelled and unlabelled images; `skill` moves the labelled ones up. */
function fixtureRun(runId: string, seed: number, skill: number): FixtureRun {
  const random = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const classes = [...referenceExampleCategories];
  const imageIds = Array.from({ length: 80 }, (_, i) => 100 + i);
  let labelSeed = 20240611;
  const labelRandom = (): number => {
    labelSeed = (labelSeed * 1664525 + 1013904223) >>> 0;
    return labelSeed / 2 ** 32;
  };
  // The same labels for every run (the same validation images); the scores differ.
  const labels = imageIds.map((_, i) => classes.map((_, j) => (labelRandom() < 0.22 || i % classes.length === j ? 1 : 0)));
  const scores = labels.map((row) =>
    row.map((label) => Number((label ? Math.min(1, skill + (1 - skill) * random()) : 0.7 * random() ** 2).toFixed(6))),
  );
  return { runId, classes, imageIds, labels, scores };
}

/** Two completed runs on the same data that differ in learn rate and epochs, one with a folder of its own, written into the served app's cache. */
function recordRuns(): { a: FixtureRun; b: FixtureRun; folder: string } {
  const folder = join(app.dataDir, 'runs', 'run-e2e-baseline');
  mkdirSync(join(folder, 'gradcam'), { recursive: true });
  writeFileSync(join(folder, 'head.json'), '{}');
  writeFileSync(join(folder, 'checkpoint.json'), '{}');
  writeFileSync(join(folder, 'gradcam', '0-fp-0.5000-12.json'), '[]');
  const a: FixtureRun = {
    ...fixtureRun('run-e2e-baseline', 11, 0.25),
    name: 'MobileNet baseline',
    createdAt: '2026-03-01T09:30:00.000Z',
    config: fixtureRunConfig(referenceExampleCategories, { name: 'MobileNet baseline' }),
    history: fixtureHistory(300, { every: 20, floor: 0.12, seed: 5 }),
    seconds: 95,
    trainCount: 1200,
    runDir: folder,
  };
  const b: FixtureRun = {
    ...fixtureRun('run-e2e-faster', 23, 0.35),
    name: 'Faster schedule',
    createdAt: '2026-03-02T14:05:00.000Z',
    config: fixtureRunConfig(referenceExampleCategories, { name: 'Faster schedule', settings: { learnRate: 0.01, maxEpochs: 100 } }),
    history: fixtureHistory(120, { every: 20, floor: 0.09, seed: 9 }),
    seconds: 41,
    trainCount: 1200,
  };
  const db = openCache(app.dataDir);
  try {
    insertRunWithScores(db, a);
    insertRunWithScores(db, b);
  } finally {
    db.close();
  }
  return { a, b, folder };
}

async function openRuns(page: Page): Promise<void> {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('nav-runs').click();
  await expect(page.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible();
}

const row = (page: Page, runId: string) => page.locator(`[data-testid="runs-row"][data-run-id="${runId}"]`);

/** The comparison's headline figures of each run equal `mlw compare --json`'s, exactly. */
async function expectHeadlines(page: Page, json: CompareJson): Promise<void> {
  for (const m of json.metrics) {
    expect(m).not.toBeNull();
    const cells = page.locator(`[data-testid="compare-metric-row"][data-run-id="${m!.runId}"]`);
    await expect(cells).toHaveAttribute('data-threshold', String(m!.threshold));
    for (const key of headlines) {
      const cell = cells.getByTestId(`compare-${key}`);
      await expect(cell, `${m!.runId} ${key}`).toHaveAttribute('data-value', String(m![key]));
    }
  }
}

test('lists the runs, compares two as mlw compare does, copies and saves the table, renames one and deletes one', async ({
  page,
  context,
}) => {
  test.setTimeout(180_000);
  const started = Date.now();
  const { a, b, folder } = recordRuns();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openRuns(page);

  // The table: both runs, newest first, with their headline metrics at 0.5 from the service.
  await expect(page.getByTestId('runs-row')).toHaveCount(2);
  await expect(page.getByTestId('runs-row').first()).toHaveAttribute('data-run-id', b.runId);
  const listed = app.mlwJson<{ runId: string; metrics: Record<string, number> }[]>('runs');
  for (const run of listed) {
    for (const key of headlines)
      await expect(row(page, run.runId).getByTestId(`runs-${key}`)).toHaveAttribute('data-value', String(run.metrics[key]));
  }
  await expect(row(page, a.runId).getByTestId('runs-dataset')).toContainText('val.json · 12 classes');
  await expect(row(page, a.runId)).toContainText('1 min 35 s');
  // Sorting by duration puts the shorter run first; the filter looks through names, backbones and categories.
  await page.getByTestId('runs-sort-seconds').click();
  await page.getByTestId('runs-sort-seconds').click();
  await expect(page.getByTestId('runs-table')).toHaveAttribute('data-sort', 'seconds:asc');
  await expect(page.getByTestId('runs-row').first()).toHaveAttribute('data-run-id', b.runId);
  await page.getByTestId('runs-filter').fill('faster');
  await expect(page.getByTestId('runs-row')).toHaveCount(1);
  await page.getByTestId('runs-filter').fill('giraffe mobilenet');
  await expect(page.getByTestId('runs-row')).toHaveCount(2);
  await page.getByTestId('runs-filter').fill('resnet');
  await expect(page.getByTestId('runs-no-match')).toBeVisible();
  await page.getByTestId('runs-filter').fill('');

  // Compare, the baseline ticked first.
  await expect(page.getByTestId('runs-compare')).toBeDisabled();
  await row(page, a.runId).getByTestId('runs-pick').check();
  await row(page, b.runId).getByTestId('runs-pick').check();
  await page.getByTestId('runs-compare').click();
  const comparison = page.getByTestId('run-comparison');
  await expect(comparison).toHaveAttribute('data-runs', `${a.runId},${b.runId}`);

  // Exactly the two settings that differ, with each run's value.
  const atHalf = app.mlwJson<CompareJson>('compare', a.runId, b.runId);
  expect(atHalf.diff.map((d) => d.key)).toEqual(['settings.learnRate', 'settings.maxEpochs']);
  const diffRows = page.getByTestId('config-diff-row');
  await expect(diffRows).toHaveCount(2);
  expect(await diffRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).toEqual([
    'settings.learnRate',
    'settings.maxEpochs',
  ]);
  const values = await diffRows.evaluateAll((rows) =>
    rows.map((r) => [...r.querySelectorAll('[data-testid="config-diff-value"]')].map((c) => c.textContent)),
  );
  expect(values).toEqual([
    ['0.005', '0.01'],
    ['300', '100'],
  ]);
  await expect(page.getByTestId('config-diff-summary')).toContainText(`2 of ${atHalf.settings} settings`);

  // The metrics at 0.5, as the CLI computes them; then the second run at 0.4.
  await expectHeadlines(page, atHalf);
  const thresholdB = page.locator(`[data-testid="compare-metric-row"][data-run-id="${b.runId}"]`).getByTestId('compare-threshold');
  await thresholdB.fill('0.4');
  const csvFile = join(scratch, 'compare.csv');
  const mixed = app.mlwJson<CompareJson>('compare', a.runId, b.runId, '--threshold', '0.5,0.4', '--csv', csvFile);
  await expectHeadlines(page, mixed);
  await expect(page.getByTestId('compare-sweeps')).toHaveAttribute('data-thresholds', '0.5,0.4');

  // Per class: each run's F1 and its change against the baseline, tinted by its sign.
  const [ma, mb] = [mixed.metrics[0]!, mixed.metrics[1]!];
  for (const [j, c] of ma.perClass.entries()) {
    const cells = page.locator(`[data-testid="compare-class-row"][data-class="${c.class}"]`).getByTestId('compare-class-value');
    await expect(cells.nth(0)).toHaveAttribute('data-value', String(c.f1));
    await expect(cells.nth(1)).toHaveAttribute('data-value', String(mb.perClass[j]!.f1));
    const delta = mb.perClass[j]!.f1 - c.f1;
    await expect(cells.nth(1)).toHaveAttribute('data-change', Math.abs(delta) < 0.00005 ? 'same' : delta > 0 ? 'better' : 'worse');
  }
  const changes = await page.getByTestId('compare-class-value').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-change')));
  expect(changes.filter((c) => c === 'better' || c === 'worse').length, 'some class changed').toBeGreaterThan(0);

  // Copy gives the table as tab-separated text, Save CSV the file `mlw compare --csv` writes.
  const rows = comparisonRows(
    mixed.runs.map((r, i) => ({ runId: r.runId, name: r.name, threshold: mixed.metrics[i]!.threshold, metrics: mixed.metrics[i]! })),
  );
  await page.getByTestId('compare-copy').click();
  await expect(page.getByTestId('compare-notice')).toContainText(`Copied ${rows.length} rows`);
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(delimitedTable(comparisonColumns, rows, 'tsv'));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('compare-save-csv').click()]);
  expect(download.suggestedFilename()).toBe('runs-comparison.csv');
  expect(readFileSync((await download.path())!, 'utf8')).toBe(readFileSync(csvFile, 'utf8'));

  // The curves: both runs' training and validation losses, sweeps, and a chosen class's PR curves.
  await expect(page.getByTestId('compare-training-curves')).toHaveAttribute('data-runs', '2');
  await expect(page.getByTestId('compare-sweeps')).toHaveAttribute('data-runs', '2');
  await page.getByRole('combobox', { name: /^Class/ }).click();
  await page.getByRole('option', { name: 'giraffe', exact: true }).click();
  await expect(page.getByTestId('compare-pr-curves')).toHaveAttribute('data-class', 'giraffe');
  await expect(page.getByTestId('compare-pr-curves')).toHaveAttribute('data-curves', '2');
  await expect(page.getByTestId('compare-training-curves').locator('.scatterlayer .trace')).toHaveCount(4);
  // From the top, the pointer off the charts (no toolbar, no hover label).
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(screenshots, 'runs-compare.png'), fullPage: true });

  // Rename in place: the table, the comparison and the CLI see the new name.
  await row(page, b.runId).getByTestId('runs-rename').click();
  await page.getByTestId('runs-name-input').fill('lr 0.01, 100 epochs');
  await page.getByTestId('runs-name-input').press('Enter');
  await expect(row(page, b.runId)).toHaveAttribute('data-name', 'lr 0.01, 100 epochs');
  await expect(page.locator(`[data-testid="comparison-run"][data-run-id="${b.runId}"]`)).toContainText('lr 0.01, 100 epochs');
  expect(app.mlwJson<{ runId: string; name: string }[]>('runs').find((r) => r.runId === b.runId)?.name).toBe('lr 0.01, 100 epochs');
  // Escape keeps the old name.
  await row(page, b.runId).getByTestId('runs-rename').click();
  await page.getByTestId('runs-name-input').fill('never saved');
  await page.getByTestId('runs-name-input').press('Escape');
  await expect(row(page, b.runId)).toHaveAttribute('data-name', 'lr 0.01, 100 epochs');

  // Delete after a confirmation that names the run and its folder; Cancel first changes nothing.
  await row(page, a.runId).getByTestId('runs-delete').click();
  const dialog = page.getByTestId('delete-run-dialog');
  await expect(dialog).toContainText('Delete “MobileNet baseline”?');
  await expect(dialog.getByTestId('delete-run-what')).toContainText(folder);
  await dialog.getByTestId('delete-run-cancel').click();
  await expect(dialog).toBeHidden();
  expect(existsSync(folder)).toBe(true);
  await row(page, a.runId).getByTestId('runs-delete').click();
  await dialog.getByTestId('delete-run-confirm').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('runs-notice')).toContainText('Deleted MobileNet baseline and its folder (3 files');
  await expect(page.getByTestId('runs-row')).toHaveCount(1);
  // With one run left there is nothing to compare.
  await expect(page.getByTestId('run-comparison')).toHaveCount(0);
  expect(existsSync(folder)).toBe(false);
  expect(app.mlwJson<{ runId: string }[]>('runs').map((r) => r.runId)).toEqual([b.runId]);
  console.log(`Runs workspace end-to-end test took ${((Date.now() - started) / 1000).toFixed(1)} s.`);
});

test('at 1440 px the runs table fits with mAP, the rename box shows a long name, and a comparison exports its report', async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  const { a, b } = recordRuns();
  await openRuns(page);
  const container = page.getByTestId('runs-table-container');
  await expect(page.getByTestId('runs-row')).toHaveCount(2);
  const { scrollWidth, clientWidth } = await container.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
  expect(scrollWidth, 'the runs table needs no horizontal scrolling at 1440 px').toBeLessThanOrEqual(clientWidth);
  const box = (await container.boundingBox())!;
  const mAP = (await row(page, a.runId).getByTestId('runs-mAP').boundingBox())!;
  expect(mAP.x + mAP.width).toBeLessThanOrEqual(box.x + box.width + 0.5);
  await expect(row(page, a.runId).getByTestId('runs-dataset')).toContainText('train train.json · val val.json');

  // The rename box is wide enough for a name of about thirty characters.
  await row(page, b.runId).getByTestId('runs-rename').click();
  const input = page.getByTestId('runs-name-input');
  const fieldWidth = await input.evaluate((el) => el.getBoundingClientRect().width);
  const textWidth = await input.evaluate((el) => {
    const context = document.createElement('canvas').getContext('2d')!;
    context.font = getComputedStyle(el).font;
    return context.measureText('MobileNet v1, lr 0.01, 100 ep.').width;
  });
  expect(fieldWidth).toBeGreaterThanOrEqual(textWidth);
  const editingWidths = await container.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
  expect(editingWidths.scrollWidth, 'nor while a name is edited').toBeLessThanOrEqual(editingWidths.clientWidth);
  await page.screenshot({ path: join(screenshots, 'runs-table-1440.png'), fullPage: true });
  await input.press('Escape');

  // Export the comparison's report: the first run with the other beside it; in the browser form it downloads.
  await row(page, a.runId).getByTestId('runs-pick').check();
  await row(page, b.runId).getByTestId('runs-pick').check();
  await page.getByTestId('runs-compare').click();
  const comparison = page.getByTestId('run-comparison');
  const download = page.waitForEvent('download');
  await comparison.getByTestId('export-report').click();
  await expect(comparison.getByTestId('export-report-done')).toContainText('The report downloaded', { timeout: 120_000 });
  const file = await download;
  expect(file.suggestedFilename()).toBe(`report-${a.runId}-vs-1-t0.50.html`);
  const html = readFileSync((await file.path())!, 'utf8');
  expect(html).toContain(b.runId);
  await page.screenshot({ path: join(screenshots, 'runs-compare-report.png'), fullPage: true });
});

test('says when compared runs have identical settings, and a running run cannot be deleted', async ({ page }) => {
  const a = { ...fixtureRun('run-e2e-same-1', 3, 0.3), config: fixtureRunConfig(referenceExampleCategories, { name: 'one' }) };
  const b = { ...fixtureRun('run-e2e-same-2', 4, 0.3), config: fixtureRunConfig(referenceExampleCategories, { name: 'two' }) };
  const running = {
    ...fixtureRun('run-e2e-running', 5, 0.3),
    config: fixtureRunConfig(referenceExampleCategories, { name: 'three' }),
    status: 'running' as const,
    name: 'Still training',
  };
  const db = openCache(app.dataDir);
  try {
    for (const run of [a, b, running]) insertRunWithScores(db, run);
  } finally {
    db.close();
  }
  await openRuns(page);
  await expect(page.getByTestId('runs-row')).toHaveCount(3);
  await expect(row(page, running.runId).getByTestId('runs-delete')).toBeDisabled();
  await expect(row(page, running.runId).getByTestId('runs-microF1')).toHaveText('—');
  await row(page, a.runId).getByTestId('runs-pick').check();
  await row(page, b.runId).getByTestId('runs-pick').check();
  await row(page, running.runId).getByTestId('runs-pick').check();
  await page.getByTestId('runs-compare').click();
  await expect(page.getByTestId('config-identical')).toContainText('Identical settings');
  await expect(page.getByTestId('config-diff-row')).toHaveCount(0);
  await expect(page.getByTestId('comparison-without-scores')).toContainText('Still training');
  await expect(
    page.locator(`[data-testid="compare-metric-row"][data-run-id="${running.runId}"]`).getByTestId('compare-no-scores'),
  ).toBeVisible();
});
