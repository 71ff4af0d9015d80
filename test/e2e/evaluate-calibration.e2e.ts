import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunCalibration } from '../../src/shared/contract/calibration';
import { openCache } from '../../src/main/db/connection';
import { RunsStore } from '../../src/main/db/runs-store';
import { referenceExampleCategories } from '../../src/shared/domain/presets';
import { insertRunWithScores, type FixtureRun } from '../fixtures/run-fixture';
import { projectRoot, startServedApp, type ServedApp } from './serve-harness';

const screenshots = join(projectRoot, 'test-results');

let app: ServedApp;

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
});

/** Overconfident scores (labelled ones high, the rest low, with overlap), so a temperature above 1 changes their calibration. */
function fixtureRun(runId: string, createdAt: string): FixtureRun {
  let seed = 20240612;
  const random = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const classes = [...referenceExampleCategories];
  const imageIds = Array.from({ length: 80 }, (_, i) => 500 + i);
  const labels = imageIds.map((_, i) => classes.map((_, j) => (random() < 0.22 || i % classes.length === j ? 1 : 0)));
  const scores = labels.map((row) =>
    row.map((label) =>
      Number((label ? 1 - 0.6 * random() ** 2 : random() < 0.15 ? 0.5 + 0.49 * random() : 0.35 * random() ** 2).toFixed(6)),
    ),
  );
  return { runId, classes, imageIds, labels, scores, createdAt };
}

const calibration: RunCalibration = {
  temperature: 1.8,
  heldOutImages: 16,
  before: { ece: 0.0912, loss: 2.4031 },
  after: { ece: 0.0317, loss: 2.1187 },
};

interface Evaluated {
  microF1: number;
  ece: number;
  validationLoss: number;
  eceByClass: (number | null)[];
  reliability: { count: number }[];
  temperature: number | null;
}

/** Records the run with the temperature (the newest, so the workspace opens on it) and one without. */
function recordRuns(): { calibrated: string; plain: string } {
  const db = openCache(app.dataDir);
  try {
    insertRunWithScores(db, fixtureRun('run-fixture-plain', '2024-06-01T10:00:00.000Z'));
    insertRunWithScores(db, fixtureRun('run-fixture-calibrated', '2024-06-02T10:00:00.000Z'));
    new RunsStore(db).saveSearch(
      'run-fixture-calibrated',
      {
        heldOutFraction: 0.2,
        fitImages: 64,
        heldOutImages: 16,
        tried: [{ learnRate: 0.01, l2Regularization: 0.0001, heldOutLoss: 2.4031, epochs: 20 }],
        chosen: { learnRate: 0.01, l2Regularization: 0.0001, epochs: 20 },
        seconds: 4,
      },
      calibration,
    );
  } finally {
    db.close();
  }
  return { calibrated: 'run-fixture-calibrated', plain: 'run-fixture-plain' };
}

/** The figure on screen: the CLI's four decimals, and its full value within 1e-6 (the window scales the 9-digit scores it was sent). */
async function expectFigure(page: Page, id: string, expected: number): Promise<void> {
  const figure = page.getByTestId(`metric-${id}`);
  await expect(figure, id).toHaveText(expected.toFixed(4));
  const shown = Number(await figure.getAttribute('data-value'));
  expect(Math.abs(shown - expected), `${id}: ${shown} on screen, ${expected} expected`).toBeLessThanOrEqual(1e-6);
}

async function expectCalibration(page: Page, evaluated: Evaluated): Promise<void> {
  await expectFigure(page, 'ece', evaluated.ece);
  await expectFigure(page, 'validationLoss', evaluated.validationLoss);
  await expect(page.getByTestId('reliability-diagram')).toHaveAttribute('data-counts', evaluated.reliability.map((b) => b.count).join(','));
  await expect(page.getByTestId('reliability-diagram')).toHaveAttribute('data-temperature', String(evaluated.temperature ?? ''));
  const shown = await page.getByTestId('class-ece').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))));
  expect(shown).toHaveLength(evaluated.eceByClass.length);
  shown.forEach((value, j) => expect(Math.abs(value - evaluated.eceByClass[j]!), `class ${j}`).toBeLessThanOrEqual(1e-6));
}

test('shows the ECE, validation loss and reliability diagram as mlw evaluate does, and temperature scaling changes every figure', async ({
  page,
}) => {
  const { calibrated, plain } = recordRuns();
  const asTrained = app.mlwJson<Evaluated>('evaluate', '--run', calibrated);
  const scaled = app.mlwJson<Evaluated>('evaluate', '--run', calibrated, '--calibrated', '--threshold', '0.3');
  const asTrainedAt03 = app.mlwJson<Evaluated>('evaluate', '--run', calibrated, '--threshold', '0.3');
  expect(scaled.temperature).toBe(1.8);
  expect(Math.abs(scaled.ece - asTrained.ece), 'the temperature changes the ECE of these scores').toBeGreaterThan(1e-3);
  expect(scaled.microF1, 'and the figures at 0.3').not.toBe(asTrainedAt03.microF1);

  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('nav-evaluate').click();
  await expect(page.getByTestId('workspace-evaluate').locator(`[data-run-id="${calibrated}"]`)).toBeAttached();

  // As trained: the service's figures, the diagram's bins, each class's ECE, and the held-out figures of the temperature.
  const panel = page.getByTestId('calibration-panel');
  await expect(panel).toHaveAttribute('data-calibrated', 'false');
  await expectCalibration(page, asTrained);
  await expect(page.getByTestId('reliability-diagram').locator('.main-svg').first()).toBeVisible();
  await expect(panel).toContainText('Temperature scaling (T = 1.800)');
  await expect(page.getByTestId('held-out-ece')).toHaveAttribute('data-before', '0.0912');
  await expect(page.getByTestId('held-out-ece')).toHaveAttribute('data-after', '0.0317');
  await expect(page.getByTestId('held-out-ece')).toContainText('0.0912');
  await expect(page.getByTestId('held-out-ece')).toContainText('0.0317');

  // The threshold at 0.3 (two Page Downs), then temperature scaling on: every figure is `mlw evaluate --calibrated`'s.
  const slider = page.getByRole('slider', { name: 'Threshold' });
  await slider.focus();
  await slider.press('PageDown');
  await slider.press('PageDown');
  await expect(page.getByTestId('threshold-value')).toHaveAttribute('data-value', '0.3');
  await expectFigure(page, 'microF1', asTrainedAt03.microF1);
  await page.getByTestId('temperature-toggle').click();
  await expect(panel).toHaveAttribute('data-calibrated', 'true');
  await expect(page.getByTestId('temperature-on')).toContainText('T = 1.800');
  await expectCalibration(page, scaled);
  await expectFigure(page, 'microF1', scaled.microF1);
  await expect(page.getByTestId('reliability-diagram').locator('.main-svg').first()).toBeVisible();
  await panel.scrollIntoViewIfNeeded();
  await panel.screenshot({ path: join(screenshots, 'evaluate-calibration.png') });

  // Kept across a reload, like the threshold; off again gives the figures as trained.
  await page.reload();
  await expect(page.getByTestId('calibration-panel')).toHaveAttribute('data-calibrated', 'true');
  await expectFigure(page, 'ece', scaled.ece);
  await page.getByTestId('temperature-toggle').click();
  await expectFigure(page, 'ece', asTrained.ece);

  // A run without a temperature: the switch is disabled, with the reason.
  await page.getByRole('combobox', { name: /^Run/ }).click();
  await page.locator(`[data-testid="evaluate-run-option"][data-run-id="${plain}"]`).click();
  await expect(page.getByTestId('workspace-evaluate').locator(`[data-run-id="${plain}"]`)).toBeAttached();
  await expect(page.getByTestId('temperature-toggle').locator('input')).toBeDisabled();
  await expect(page.getByTestId('temperature-unavailable')).toContainText('so it has no temperature');
  await expectCalibration(page, app.mlwJson<Evaluated>('evaluate', '--run', plain));
});
