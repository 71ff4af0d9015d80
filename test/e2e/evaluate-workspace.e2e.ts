import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCache } from '../../src/main/db/connection';
import {
  confusion,
  evaluate,
  tunedThresholds,
  appliedThresholds,
  type Metrics,
  type ScoreMatrix,
  type ThresholdMetrics,
} from '../../src/shared/domain/metrics';
import { referenceExampleCategories } from '../../src/shared/domain/presets';
import { insertRunWithScores, type FixtureRun } from '../fixtures/run-fixture';
import { hasCoco128, hasModel, projectRoot, startServedApp, trainCoco128Run, type ServedApp } from './serve-harness';

// MLW_E2E_FIXTURE_RUN=1 takes the fixture path even where the real data is present (what machines without it run).
const useRealRun = hasCoco128 && hasModel && process.env.MLW_E2E_FIXTURE_RUN !== '1';
const screenshots = join(projectRoot, 'test-results');
const figures = ['microF1', 'jaccard', 'precision', 'recall'] as const;

let app: ServedApp;
let scratch: string;

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'mlw-e2e-evaluate-'));
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A deterministic run whose scores overlap between labelled and unlabelled images, so every threshold makes mistakes. */
function fixtureRun(): FixtureRun {
  let seed = 20240611;
  const random = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const classes = [...referenceExampleCategories];
  const imageIds = Array.from({ length: 80 }, (_, i) => 100 + i);
  const labels = imageIds.map((_, i) => classes.map((_, j) => (random() < 0.22 || i % classes.length === j ? 1 : 0)));
  const scores = labels.map((row) => row.map((label) => Number((label ? 0.25 + 0.75 * random() : 0.7 * random() ** 2).toFixed(6))));
  return { runId: 'run-fixture-evaluate', classes, imageIds, labels, scores };
}

/** A run with scores: trained on coco128 with the real MobileNet when this machine has them, a fixture otherwise. */
function recordRun(): { runId: string; source: string } {
  if (useRealRun) {
    const runId = trainCoco128Run(app);
    return { runId, source: 'a frozen-backbone run trained on coco128 with the real MobileNet' };
  }
  const run = fixtureRun();
  const db = openCache(app.dataDir);
  try {
    insertRunWithScores(db, run);
  } finally {
    db.close();
  }
  return { runId: run.runId, source: 'a fixture run (../shared/data/coco128 or ../shared/models is absent)' };
}

async function openEvaluate(page: Page): Promise<void> {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('nav-evaluate').click();
  await expect(page.getByRole('heading', { name: 'Evaluate a run' })).toBeVisible();
}

/** The figure on screen: printed to the CLI's four decimals, and its full value within 1e-9. */
async function expectFigure(page: Page, id: string, expected: number): Promise<void> {
  const figure = page.getByTestId(`metric-${id}`);
  await expect(figure, id).toHaveText(expected.toFixed(4));
  const shown = Number(await figure.getAttribute('data-value'));
  expect(Math.abs(shown - expected), `${id}: ${shown} on screen, ${expected} expected`).toBeLessThanOrEqual(1e-9);
}

test('judges a run as mlw evaluate and mlw metrics do, follows the slider, tunes per-class thresholds, opens a mistake', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const started = Date.now();
  const { runId, source } = recordRun();
  console.log(`Evaluate workspace end-to-end test uses ${source} (${runId}).`);

  await openEvaluate(page);
  await page.getByRole('combobox', { name: /^Run/ }).click();
  await page.locator(`[data-testid="evaluate-run-option"][data-run-id="${runId}"]`).click();
  await expect(page.getByTestId('workspace-evaluate').locator(`[data-run-id="${runId}"]`)).toBeAttached();
  const exported = join(scratch, 'scores.json');
  const atHalf = app.mlwJson<ThresholdMetrics>('evaluate', '--run', runId, '--threshold', '0.5', '--scores-out', exported);
  const matrixFile = JSON.parse(readFileSync(exported, 'utf8')) as {
    classes: string[];
    imageIds: number[];
    labels: number[][];
    scores: number[][];
  };
  await expect(page.getByTestId('evaluate-source')).toHaveAttribute('data-images', String(matrixFile.imageIds.length));
  for (const id of figures) await expectFigure(page, id, atHalf[id]);

  // To 0.3 with the keyboard: Page Down moves the slider by 0.1.
  const slider = page.getByRole('slider', { name: 'Threshold' });
  await slider.focus();
  await slider.press('PageDown');
  await slider.press('PageDown');
  await expect(page.getByTestId('threshold-value')).toHaveAttribute('data-value', '0.3');
  await expect(page.getByTestId('sweep-plots')).toHaveAttribute('data-threshold', '0.3');

  // The same figures from the CLI: the run's own evaluation, and `mlw metrics` on the exported labels and scores.
  const evaluated = app.mlwJson<ThresholdMetrics>('evaluate', '--run', runId, '--threshold', '0.3', '--scores-out', exported);
  const labelsFile = join(scratch, 'labels.json');
  writeFileSync(labelsFile, JSON.stringify(matrixFile.labels));
  const computed = app.mlwJson<Metrics>('metrics', '--labels', labelsFile, '--scores', exported, '--threshold', '0.3');
  for (const id of figures) {
    expect(computed[id]).toBeCloseTo(evaluated[id], 12);
    await expectFigure(page, id, computed[id]);
  }
  await expectFigure(page, 'macroF1', computed.macroF1);
  await expectFigure(page, 'sampleJaccard', computed.sampleJaccard);
  await expect(page.getByTestId('metric-mAP')).toHaveText(computed.mAP === null ? '—' : computed.mAP.toFixed(4));
  // The example's confusion charts: one tile per class with the CLI's counts.
  for (const m of computed.perClass) {
    const tile = page.locator(`[data-testid="confusion-tile"][data-class="${m.class}"]`);
    await expect(tile).toHaveAttribute('data-tp', String(m.tp));
    await expect(tile).toHaveAttribute('data-fp', String(m.fp));
    await expect(tile).toHaveAttribute('data-fn', String(m.fn));
    await expect(tile).toHaveAttribute('data-tn', String(m.tn));
  }
  await expect(page.getByTestId('class-row')).toHaveCount(matrixFile.classes.length);
  await expect(page.getByTestId('pr-curves')).toHaveAttribute('data-curves', String(computed.perClass.filter((m) => m.ap !== null).length));

  // Per-class thresholds: the figures `evaluate(…, {perClassThresholds})` gives, each with its change, and the warning.
  const matrix: ScoreMatrix = {
    classes: matrixFile.classes,
    rows: matrixFile.imageIds.length,
    labels: matrixFile.labels.flat(),
    scores: matrixFile.scores.flat(),
  };
  const tuned = appliedThresholds(tunedThresholds(matrix, 0.3), 0.3);
  const perClass = evaluate(matrix, 0.3, { perClassThresholds: tuned });
  expect(
    figures.some((id) => perClass[id] !== computed[id]),
    'per-class thresholds change at least one figure',
  ).toBe(true);
  const fromService = app.mlwJson<ThresholdMetrics>('evaluate', '--run', runId, '--threshold', '0.3', '--per-class-thresholds');
  await page.getByTestId('per-class-toggle').click();
  await expect(page.getByTestId('tuned-warning')).toContainText('tuned on the same');
  // The slider and the figures say which thresholds apply.
  await expect(page.getByTestId('applied-thresholds')).toContainText('per-class tuned thresholds');
  await expect(page.getByTestId('slider-applies')).toContainText('for classes that are not tuned');
  for (const id of figures) {
    expect(fromService[id]).toBeCloseTo(perClass[id], 12);
    await expectFigure(page, id, perClass[id]);
    const delta = Number(await page.getByTestId(`metric-${id}-delta`).getAttribute('data-value'));
    expect(Math.abs(delta - (perClass[id] - computed[id]))).toBeLessThanOrEqual(1e-9);
  }
  const shownThresholds = await page
    .getByTestId('class-threshold')
    .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))));
  expect(shownThresholds).toEqual(tuned);
  await page.getByTestId('per-class-toggle').click();
  await expect(page.getByTestId('tuned-warning')).toBeHidden();
  await expectFigure(page, 'microF1', computed.microF1);

  // The most confident mistakes of a class that has some at 0.3.
  const counts = confusion(matrix, 0.3);
  const withMistakes = counts.findIndex((k) => k.fp + k.fn > 0);
  expect(withMistakes, 'some class has a mistake at 0.3').toBeGreaterThanOrEqual(0);
  const className = matrix.classes[withMistakes]!;
  await page.getByRole('combobox', { name: /^Class/ }).click();
  await page.getByRole('option', { name: className, exact: true }).click();
  await expect(page.getByTestId('error-galleries')).toHaveAttribute('data-class', className);
  await expect(page.getByTestId('fp-gallery')).toHaveAttribute('data-total', String(counts[withMistakes]!.fp));
  await expect(page.getByTestId('fn-gallery')).toHaveAttribute('data-total', String(counts[withMistakes]!.fn));
  const tile = page.locator('[data-testid="fp-tile"], [data-testid="fn-tile"]').first();
  const row = Number(await tile.getAttribute('data-row'));
  await page.screenshot({ path: join(screenshots, 'evaluate-workspace.png'), fullPage: true });

  await tile.click();
  const dialog = page.getByTestId('score-dialog');
  await expect(dialog).toBeVisible();
  const rows = dialog.getByTestId('score-row');
  await expect(rows).toHaveCount(matrix.classes.length);
  const shownRows = await rows.evaluateAll((cells) =>
    cells.map((c) => ({
      class: c.getAttribute('data-class') ?? '',
      score: Number(c.getAttribute('data-score')),
      predicted: c.getAttribute('data-predicted') === 'true',
    })),
  );
  const expectedRows = matrix.classes
    .map((name, j) => ({ class: name, score: matrixFile.scores[row]![j]!, predicted: matrixFile.scores[row]![j]! >= 0.3 }))
    .sort((a, b) => b.score - a.score);
  expect(shownRows.map((r) => r.score)).toEqual(expectedRows.map((r) => r.score));
  expect(shownRows.map((r) => r.predicted)).toEqual(expectedRows.map((r) => r.predicted));
  if (useRealRun) await expect(dialog.getByTestId('annotated-image').locator('img')).toBeVisible();
  else await expect(dialog.getByTestId('score-dialog-no-image')).toBeVisible();
  await page.screenshot({ path: join(screenshots, 'evaluate-workspace-dialog.png') });
  await dialog.getByTestId('score-dialog-close').click();
  await expect(dialog).toBeHidden();

  // The report, written by a job; in the browser form it downloads.
  const download = page.waitForEvent('download');
  await page.getByTestId('export-report').click();
  await expect(page.getByTestId('export-report-done')).toContainText('The report downloaded', { timeout: 120_000 });
  expect((await download).suggestedFilename()).toMatch(/^report-.*\.html$/);

  // The run's whole network as one ONNX model (a fixture run has no network: the service says so).
  const exportDir = join(scratch, 'exported-onnx');
  await page.getByTestId('export-model-format-onnx').check();
  await page.getByTestId('export-model-path').fill(exportDir);
  await page.getByTestId('export-model').click();
  if (useRealRun) {
    await expect(page.getByTestId('export-model-done')).toContainText('model.onnx', { timeout: 60_000 });
    expect(readFileSync(join(exportDir, 'model.onnx')).length).toBeGreaterThan(1_000_000);
    expect(readFileSync(join(exportDir, 'README.txt'), 'utf8')).toContain("session.run(['scores']");
  } else {
    await expect(page.getByTestId('export-model-error')).toContainText('has no trained network');
  }
  await page.getByTestId('export-model-done').or(page.getByTestId('export-model-error')).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'evaluate-export-model.png') });
  console.log(`Evaluate workspace end-to-end test took ${((Date.now() - started) / 1000).toFixed(1)} s.`);
});

test('says what to do without a completed run, and shows the service’s sentence for a run without scores', async ({ page }) => {
  await openEvaluate(page);
  await expect(page.getByTestId('evaluate-no-runs')).toContainText('Train one in the Train workspace');

  const run = { ...fixtureRun(), runId: 'run-fixture-no-scores' };
  const db = openCache(app.dataDir);
  try {
    insertRunWithScores(db, run);
    db.prepare('DELETE FROM run_scores WHERE run_id = ?').run(run.runId);
  } finally {
    db.close();
  }
  await page.reload();
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await expect(page.getByTestId('evaluate-scores-error')).toContainText(`Run ${run.runId} is completed and has no validation scores yet`);
  await expect(page.getByTestId('metric-microF1')).toHaveCount(0);
});
