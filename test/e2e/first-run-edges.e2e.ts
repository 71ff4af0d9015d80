import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coco128, hasCoco128, mobilenet, hasModel, projectRoot, startServedApp, type ServedApp } from './serve-harness';

// The rough edges a new user met walking through the app (issue 17), each checked where it was seen.
const screenshots = join(projectRoot, 'test-results');
let app: ServedApp;
let scratch: string;

test.skip(!hasCoco128, 'First-run checks: skipped because ../shared/data/coco128 is absent (they need its classes without images).');

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'mlw-e2e-first-run-'));
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function openWithCoco128(page: Page): Promise<void> {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('import-annotation-path').fill(coco128.annotations);
  await page.getByTestId('import-images-dir').fill(coco128.images);
  await page.getByTestId('import-annotation-path').blur();
  await page.getByTestId('import-button').click();
  await expect(page.getByTestId('import-result')).toBeVisible();
  await page.getByTestId('reference-example-button').click();
  await expect(page.getByTestId('subset-stats')).toHaveAttribute('data-state', 'ready');
}

test('clearing the categories shows one empty state, not red banners over the old charts; classes without images are warned about', async ({
  page,
}) => {
  await openWithCoco128(page);
  // coco128 has no sheep and no cow (counted from its annotation file).
  await expect(page.getByTestId('sparse-classes')).toContainText('Sheep and cow have no images in this file');
  await page.getByTestId('sparse-classes').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'first-run-sparse-classes.png') });

  await page.getByTestId('clear-categories-button').click();
  await expect(page.getByTestId('no-categories')).toContainText('No category is selected');
  await expect(page.getByTestId('subset-stats')).toHaveCount(0);
  await expect(page.getByText('Invalid input')).toHaveCount(0);
  await expect(page.locator('.MuiAlert-standardError')).toHaveCount(0);
  await page.screenshot({ path: join(screenshots, 'first-run-no-categories.png') });

  // From none to the reference 12, the image files panel and the grid come with the charts: nothing
  // mounts above the charts after they are shown (they used to jump down as it did).
  await page.evaluate(() => {
    const w = window as unknown as { chartsShown: Promise<{ filesPanel: boolean; grid: boolean }> };
    w.chartsShown = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (document.querySelector('[data-testid="subset-stats"][data-state="ready"]') === null) return;
        observer.disconnect();
        resolve({
          filesPanel: document.querySelector('[data-testid="missing-images"]') !== null,
          grid: document.querySelector('[data-testid="image-browser-follows"]') !== null,
        });
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
  });
  await page.getByTestId('reference-example-button').click();
  expect(await page.evaluate(() => (window as unknown as { chartsShown: Promise<unknown> }).chartsShown)).toEqual({
    filesPanel: true,
    grid: true,
  });
});

test('the histogram’s mean label hides no count, and its dashed line stands at the mean between the bars', async ({ page }) => {
  await openWithCoco128(page);
  const histogram = page.getByTestId('labels-histogram');
  await histogram.scrollIntoViewIfNeeded();
  const label = page.getByTestId('labels-histogram-mean');
  await expect(label).toBeVisible();
  const counts = histogram.locator('[data-count]');
  await expect(counts.first()).toBeVisible();
  const a = (await label.boundingBox())!;
  for (const box of await Promise.all((await counts.all()).map((count) => count.boundingBox()))) {
    const b = box!;
    const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    expect(overlap, `mean label ${JSON.stringify(a)} against a count ${JSON.stringify(b)}`).toBe(false);
  }
  // The line lies between the centres of the bars for floor(mean) and ceil(mean) labels, in proportion.
  const mean = Number(await histogram.getAttribute('data-mean'));
  const bins = await histogram.locator('[data-bin]').allTextContents();
  const centre = async (labels: number): Promise<number> => {
    const box = (await histogram
      .locator('[data-bin]')
      .nth(bins.indexOf(String(labels)))
      .boundingBox())!;
    return box.x + box.width / 2;
  };
  const [low, high] = [await centre(Math.floor(mean)), await centre(Math.floor(mean) + 1)];
  const line = (await page.getByTestId('labels-histogram-mean-line').boundingBox())!;
  expect(line.x).toBeCloseTo(low + (high - low) * (mean - Math.floor(mean)), -1);
  await histogram.screenshot({ path: join(screenshots, 'first-run-histogram-mean.png') });
});

test('an old import failure goes once another path is typed, and the path helper says what the file looks like', async ({ page }) => {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  const truncated = join(scratch, 'instances_truncated.json');
  const full = readFileSync(coco128.annotations);
  writeFileSync(truncated, full.subarray(0, Math.floor(full.length / 2)));
  const notes = join(scratch, 'notes.json');
  writeFileSync(notes, 'These are notes, not JSON.\n');

  const path = page.getByTestId('import-annotation-path');
  const helper = page.getByTestId('import-annotation-path-helper');
  await path.fill(truncated);
  await path.blur();
  await expect(helper).toContainText('Looks like a COCO instances file');
  await page.getByTestId('import-button').click();
  await expect(page.getByTestId('import-error')).toContainText('truncated');

  await path.fill(notes);
  await expect(page.getByTestId('import-error')).toHaveCount(0);
  await path.blur();
  await expect(helper).toContainText('Not JSON');
  await expect(helper).toHaveAttribute('data-check', 'error');
  await expect(page.getByTestId('import-button')).toBeDisabled();
  await page.getByTestId('import-panel').screenshot({ path: join(screenshots, 'first-run-import-path-helper.png') });
});

test('Start training waits for the backbone weights, says how to get them in the app’s words, and warns about classes without training images', async ({
  page,
}) => {
  await openWithCoco128(page);
  await page.getByTestId('nav-train').click();
  await expect(page.getByTestId('backbone-missing')).toBeVisible();
  await expect(page.getByTestId('download-weights-button')).toBeVisible();
  await expect(page.getByTestId('train-problems')).toContainText('weights are not installed: Download them');
  await expect(page.getByTestId('train-problems')).not.toContainText('mlw');
  await expect(page.getByTestId('train-button')).toBeDisabled();
  await expect(page.getByTestId('train-sparse-classes')).toContainText('Sheep and cow have no training images');
  await page.screenshot({ path: join(screenshots, 'first-run-train-no-weights.png') });

  await page.getByTestId('weights-dir').fill(scratch);
  await page.getByTestId('weights-dir').blur();
  await expect(page.getByTestId('train-problems')).toContainText('holds no weights');
  await expect(page.getByTestId('train-button')).toBeDisabled();
  if (hasModel) {
    await page.getByTestId('weights-dir').fill(mobilenet);
    await page.getByTestId('weights-dir').blur();
    await expect(page.getByTestId('weights-dir-helper')).toHaveAttribute('data-check', 'ok');
    await expect(page.getByTestId('train-button')).toBeEnabled();
  }
});

test('with no run, Evaluate, Predict and Runs lead to the first run with the defaults explained', async ({ page }) => {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  for (const [nav, testId] of [
    ['nav-evaluate', 'evaluate-no-runs'],
    ['nav-predict', 'predict-no-runs'],
    ['nav-runs', 'runs-empty'],
  ] as const) {
    await page.getByTestId(nav).click();
    const hint = page.getByTestId(testId);
    await expect(hint).toContainText('Train your first run');
    await expect(hint).toContainText('only the new layer trains');
    await expect(hint.getByRole('link', { name: 'Train your first run' })).toHaveAttribute('href', '#train');
  }
  await page.screenshot({ path: join(screenshots, 'first-run-no-runs.png') });
});
