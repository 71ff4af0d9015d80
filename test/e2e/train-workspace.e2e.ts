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
    ? 'trains a frozen-backbone run on coco128 with the real MobileNet, with a live chart, and records it'
    : 'frozen-backbone training: skipped because ../shared/data/coco128 or ../shared/models is absent',
  async ({ page }) => {
    test.skip(!hasCoco128 || !hasModel, '../shared/data/coco128 or ../shared/models/mobilenet_v1_0.75_224 is absent');
    test.setTimeout(300_000);
    await page.goto(app.url);
    await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
    await page.getByTestId('import-annotation-path').fill(coco128.annotations);
    await page.getByTestId('import-images-dir').fill(coco128.images);
    await page.getByTestId('import-images-dir').blur();
    await page.getByTestId('import-button').click();
    await expect(page.getByTestId('import-result')).toBeVisible();

    await page.getByTestId('nav-train').click();
    // The first engine start on a cold machine loads TensorFlow.js and compiles its WebAssembly.
    await expect(page.getByTestId('engine-status')).toHaveAttribute('data-backend', /wasm|cpu|tensorflow/, { timeout: 90_000 });
    // Features, scores and Grad-CAM run on ONNX Runtime (its CPU library ships inside the npm package).
    await expect(page.getByTestId('inference-status')).toHaveAttribute('data-runtime', 'onnxruntime');
    await expect(page.getByTestId('same-file-warning')).toBeVisible();
    await page.getByTestId('weights-dir').fill(mobilenet);
    await page.getByTestId('weights-dir').blur();
    // The defaults say how the empty values are chosen: on held-out training images, never the validation ones.
    await expect(page.getByTestId('choose-settings')).toBeChecked();
    await expect(page.getByTestId('mode-defaults')).toContainText('held-out 20% of the training images');
    await page.getByTestId('epochs').fill('60');
    await page.getByTestId('train-button').click();
    await expect(page.getByTestId('train-progress')).toBeVisible();
    await expect(page.getByTestId('train-result')).toBeVisible({ timeout: 240_000 });

    const chart = page.getByTestId('training-chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThan(10);
    expect(Number(await chart.getAttribute('data-validations'))).toBeGreaterThan(0);
    // 35 images: 7 held out; the learn rate and L2 were chosen, the 60 epochs given.
    await expect(page.getByTestId('train-result')).toContainText(
      /Chosen on 7 held-out training images: learn rate [0-9.e-]+, L2 [0-9.e-]+, 60 epochs/,
    );
    const runId = await page.getByTestId('train-result').getAttribute('data-run-id');
    await expect(page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`)).toHaveAttribute('data-status', 'completed');
    const runs = app.mlwJson<{ runId: string; status: string; images: { train: number } }[]>('runs');
    expect(runs).toEqual([expect.objectContaining({ runId, status: 'completed', images: expect.objectContaining({ train: 35 }) })]);
    await page.screenshot({ path: join(screenshots, 'train-workspace-frozen-run.png'), fullPage: true });

    // The form keeps its values across a workspace switch and a reload (per dataset; the weights path whatever the dataset).
    for (const leave of [() => page.getByTestId('nav-dataset').click(), () => page.reload()]) {
      await leave();
      await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
      await page.getByTestId('nav-train').click();
      await expect(page.getByTestId('epochs')).toHaveValue('60');
      await expect(page.getByTestId('weights-dir')).toHaveValue(mobilenet);
    }
  },
);
