import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { coco128, hasCoco128, hasModel, mobilenet, projectRoot, startServedApp, type ServedApp } from './serve-harness';

const screenshots = join(projectRoot, 'test-results');
let app: ServedApp;

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
});

test(
  hasCoco128 && hasModel
    ? 'a training run is a job of the service: it outlives its tab, a new page and a workspace switch re-attach, the jobs menu cancels it'
    : 'training as a job: skipped because ../shared/data/coco128 or ../shared/models is absent',
  async ({ page, context }) => {
    test.skip(!hasCoco128 || !hasModel, '../shared/data/coco128 or ../shared/models/mobilenet_v1_0.75_224 is absent');
    test.setTimeout(300_000);
    await page.goto(app.url);
    await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
    await page.getByTestId('import-annotation-path').fill(coco128.annotations);
    await page.getByTestId('import-images-dir').fill(coco128.images);
    await page.getByTestId('import-images-dir').blur();
    await page.getByTestId('import-button').click();
    await expect(page.getByTestId('import-result')).toBeVisible();

    // Fine-tuning MobileNet on WebAssembly takes a few seconds an iteration: long enough to leave and come back.
    await page.getByTestId('nav-train').click();
    await page.getByTestId('weights-dir').fill(mobilenet);
    await page.getByTestId('weights-dir').blur();
    await page.getByLabel('Fine-tune').check();
    await page.getByTestId('batch').fill('4');
    await page.getByTestId('epochs').fill('3');
    await page.getByTestId('run-name').fill('Outlives its tab');
    await page.getByTestId('train-button').click();
    await expect(page.getByTestId('train-progress')).toBeVisible();
    await expect(page.getByTestId('jobs-button')).toHaveAttribute('data-active', '1');
    // Until the run has its first iteration (its id is recorded by then).
    await expect
      .poll(async () => Number(await page.getByTestId('train-progress').getAttribute('data-done')), { timeout: 120_000 })
      .toBeGreaterThan(0);

    // Closing the tab stops its watching only.
    await page.close();
    const again = await context.newPage();
    await again.goto(`${app.url}#train`);
    await expect(again.locator('body[data-app-state="loaded"]')).toBeAttached();
    await expect(again.getByTestId('train-progress')).toBeVisible();
    await expect(again.getByTestId('train-cancel-button')).toBeVisible();
    const runs = app.mlwJson<{ runId: string; status: string }[]>('runs');
    expect(runs).toEqual([expect.objectContaining({ status: 'running' })]);

    // Another workspace and back: still followed.
    await again.getByTestId('nav-dataset').click();
    await again.getByTestId('nav-train').click();
    await expect(again.getByTestId('train-progress')).toBeVisible();
    await expect(again.getByTestId('train-cancel-button')).toBeVisible();

    // The jobs menu, from anywhere, shows it and cancels it.
    await again.getByTestId('nav-evaluate').click();
    await again.getByTestId('jobs-button').click();
    const row = again.getByTestId('job-row').first();
    await expect(row).toHaveAttribute('data-status', 'running');
    await expect(row).toHaveAttribute('data-run-id', runs[0]!.runId);
    await again.screenshot({ path: join(screenshots, 'jobs-menu.png') });
    await row.getByTestId('job-cancel').click();
    await expect(row).toHaveAttribute('data-status', 'cancelled', { timeout: 120_000 });
    await again.keyboard.press('Escape');
    await again.getByTestId('nav-train').click();
    await expect(again.getByTestId('jobs-button')).toHaveAttribute('data-active', '0');
    expect(app.mlwJson<{ runId: string; status: string; name: string }[]>('runs')).toEqual([
      expect.objectContaining({ runId: runs[0]!.runId, status: 'cancelled', name: 'Outlives its tab' }),
    ]);

    // Resume is offered for the cancelled run; stopped before its first validation, it has no checkpoint, and says so.
    const runRow = again.locator(`[data-testid="run-row"][data-run-id="${runs[0]!.runId}"]`);
    await expect(runRow).toHaveAttribute('data-status', 'cancelled');
    await expect(runRow).toContainText(runs[0]!.runId);
    await runRow.getByTestId('run-resume').click();
    await expect(again.getByTestId('train-error')).toContainText('has no checkpoint to resume from');
    await again.screenshot({ path: join(screenshots, 'jobs-resume.png'), fullPage: true });
  },
);
