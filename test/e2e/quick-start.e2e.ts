import { expect, test, type Page } from '@playwright/test';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { coco128, hasCoco128, hasModel, mobilenet, projectRoot, startServedApp, type ServedApp } from './serve-harness';

/**
 * The README's quick start, step by step, against `mlw serve` with coco128 and the real MobileNet:
 * import, pick the 12 categories, train a frozen run, move the threshold, look at Grad-CAM, compare
 * two runs, export a report. Each step's screenshot goes to test-results/ and to docs/quick-start/,
 * where the README shows it, so the pictures stay true.
 */
const screenshots = join(projectRoot, 'test-results');
const docs = join(projectRoot, 'docs', 'quick-start');

test.skip(
  !hasCoco128 || !hasModel,
  'Quick start: skipped because ../shared/data/coco128 or ../shared/models/mobilenet_v1_0.75_224 is absent.',
);
// Viewport-sized pictures, small enough for a README.
test.use({ viewport: { width: 1280, height: 800 } });
test.setTimeout(600_000);

let app: ServedApp;

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  mkdirSync(docs, { recursive: true });
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
});

async function step(page: Page, name: string): Promise<void> {
  const path = join(screenshots, `quick-start-${name}.png`);
  await page.screenshot({ path });
  copyFileSync(path, join(docs, `${name}.png`));
}

async function train(page: Page, name: string, views?: number): Promise<string> {
  await page.getByTestId('run-name').fill(name);
  if (views !== undefined) await page.getByTestId('views').fill(String(views));
  await page.getByTestId('train-button').click();
  const result = page.getByTestId('train-result');
  await expect(result).toBeVisible({ timeout: 300_000 });
  return (await result.getAttribute('data-run-id')) ?? '';
}

test('the quick start: import, 12 categories, a frozen run, the threshold, Grad-CAM, two runs compared, a report', async ({ page }) => {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();

  // 1. Import the annotations and their images folder.
  await page.getByTestId('import-annotation-path').fill(coco128.annotations);
  await page.getByTestId('import-images-dir').fill(coco128.images);
  await page.getByTestId('import-annotation-path').blur();
  await expect(page.getByTestId('import-annotation-path-helper')).toContainText('Looks like a COCO instances file');
  await page.getByTestId('import-button').click();
  await expect(page.getByTestId('import-result')).toBeVisible();
  await page.getByTestId('import-panel').scrollIntoViewIfNeeded();
  await step(page, '01-import');

  // 2. The reference example's 12 categories, their class balance and the classes without images.
  await page.getByTestId('reference-example-button').click();
  await expect(page.getByTestId('subset-stats')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('sparse-classes')).toContainText('Sheep and cow have no images in this file');
  await page.locator('#categories-heading').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await step(page, '02-categories');

  // 3. A frozen run with the defaults, on the real MobileNet.
  await page.getByTestId('nav-train').click();
  await page.getByTestId('weights-dir').fill(mobilenet);
  await page.getByTestId('weights-dir').blur();
  await expect(page.getByTestId('weights-dir-helper')).toHaveAttribute('data-check', 'ok');
  const first = await train(page, 'Frozen, defaults');
  await page.getByTestId('train-result').scrollIntoViewIfNeeded();
  await step(page, '03-train');

  // 4. Evaluate: move the threshold to 0.3.
  await page.getByTestId('nav-evaluate').click();
  await expect(page.getByRole('heading', { name: 'Evaluate a run' })).toBeVisible();
  const slider = page.getByRole('slider', { name: 'Threshold' });
  await slider.focus();
  await slider.press('PageDown');
  await slider.press('PageDown');
  await expect(page.getByTestId('threshold-value')).toHaveAttribute('data-value', '0.3');
  await expect(page.getByTestId('sweep-plots')).toHaveAttribute('data-threshold', '0.3');
  await step(page, '04-threshold');

  // 5. Predict an image and look at Grad-CAM: where the network looked for each class.
  await page.getByTestId('nav-predict').click();
  await expect(page.getByRole('heading', { name: 'Predict new images' })).toBeVisible();
  await page.getByRole('combobox', { name: /^Run/ }).click();
  await page.locator(`[data-testid="predict-run-option"][data-run-id="${first}"]`).click();
  const image = join(coco128.images, '000000000443.jpg');
  await page.getByTestId('predict-path').fill(image);
  await page.getByTestId('predict-add-path').click();
  await page.getByTestId('predict-button').click();
  const card = page.locator('[data-testid="prediction-card"][data-state="ok"]');
  await expect(card).toHaveCount(1, { timeout: 120_000 });
  await card.getByTestId('prediction-explain').click();
  await expect(page.getByTestId('gradcam-tile').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('gradcam-original').locator('img')).toBeVisible();
  await page.getByTestId('gradcam-tile').first().scrollIntoViewIfNeeded();
  await step(page, '05-gradcam');

  // 6. A second run without augmented views, and the two compared.
  await page.getByTestId('nav-train').click();
  const second = await train(page, 'Frozen, no augmented views', 0);
  await page.getByTestId('nav-runs').click();
  for (const runId of [first, second]) {
    await page.locator(`[data-testid="runs-row"][data-run-id="${runId}"]`).getByTestId('runs-pick').check();
  }
  await page.getByTestId('runs-compare').click();
  await expect(page.getByTestId('run-comparison')).toHaveAttribute('data-runs', `${first},${second}`);
  await expect(page.locator('[data-testid="config-diff-row"][data-key="augmentedViews"]')).toBeVisible();
  await page.getByTestId('run-comparison').scrollIntoViewIfNeeded();
  await step(page, '06-compare');

  // 7. Export a report of a run: one HTML file (it downloads in the browser form).
  await page.getByTestId('nav-evaluate').click();
  await expect(page.getByRole('heading', { name: 'Evaluate a run' })).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-report').click();
  await expect(page.getByTestId('export-report-done')).toContainText('The report downloaded', { timeout: 120_000 });
  expect((await download).suggestedFilename()).toMatch(/^report-.*\.html$/);
  await page.getByTestId('export-report-done').scrollIntoViewIfNeeded();
  await step(page, '07-report');
});
