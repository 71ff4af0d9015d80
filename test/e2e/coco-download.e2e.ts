import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coco128Absent, hasCoco128, startCocoServer, type CocoServer } from '../fixtures/coco-server';
import { projectRoot, startServedApp, type ServedApp } from './serve-harness';

const screenshots = join(projectRoot, 'test-results');
let app: ServedApp;
let server: CocoServer;
let scratch: string;

test.skip(!hasCoco128, coco128Absent);

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  // Under the system's temporary folder, one of the served app's --root folders.
  scratch = mkdtempSync(join(tmpdir(), 'mlw-e2e-coco-'));
  server = await startCocoServer();
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

test('Get COCO 2017, shown on first start, downloads a subset from a mirror with progress, imports it, and retries a failed image', async ({
  page,
}) => {
  // The images wait until the test has seen the download under way, and one of them is missing at first.
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  server.beforeImage = () => held;
  server.missing.add('000000000042.jpg'); // a dog
  const dest = join(scratch, 'coco');

  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  const panel = page.getByTestId('get-coco-panel');
  await expect(panel).toHaveAttribute('data-open', 'true');
  await page.getByTestId('coco-dest').fill(dest);
  await page.getByTestId('coco-base-url').fill(server.baseUrl);
  await page.getByTestId('coco-subset-reference').click();
  await page.getByTestId('coco-download').click();

  const progress = page.getByTestId('coco-progress');
  await expect(progress).toHaveAttribute('data-phase', 'Downloading images');
  await expect(progress).toHaveAttribute('data-total', '35');
  await expect(progress).toContainText('Downloading images · 0 of 35 images');
  await page.screenshot({ path: join(screenshots, 'coco-download-progress.png') });

  // The download is a job of the service: another workspace and back, and the panel follows it again.
  await page.getByTestId('nav-train').click();
  await page.getByTestId('nav-dataset').click();
  await expect(page.getByTestId('coco-progress')).toHaveAttribute('data-phase', 'Downloading images');
  await expect(page.getByTestId('coco-pause')).toBeEnabled();
  release();

  const result = page.getByTestId('coco-result');
  await expect(result).toHaveAttribute('data-downloaded', '34');
  await expect(result).toHaveAttribute('data-failed', '1');
  await expect(page.getByTestId('coco-failures')).toContainText('000000000042.jpg');
  await expect(page.getByTestId('coco-failures')).toContainText('answered HTTP 404');
  // The imported file is the one shown, with the 12 categories the download fetched.
  await expect(page.getByTestId('file-facts')).toContainText(join(dest, 'annotations', 'instances_train2017.json'));
  await expect(page.getByTestId('images-dir')).toHaveText(join(dest, 'train2017'));
  await expect(page.getByTestId('subset-images')).toHaveAttribute('data-value', '35');
  // The images folder is looked at again once the images are in: only the missing one is missing.
  await expect(page.getByTestId('missing-images')).toHaveAttribute('data-missing', '1');
  await page.screenshot({ path: join(screenshots, 'coco-download.png'), fullPage: true });

  server.missing.clear();
  await page.getByTestId('coco-retry-failed').click();
  await expect(result).toHaveAttribute('data-downloaded', '1');
  await expect(result).toHaveAttribute('data-failed', '0');
  await expect(page.getByTestId('coco-failures')).toHaveCount(0);
  await expect(page.getByTestId('missing-images')).toHaveAttribute('data-missing', '0');
  expect(readdirSync(join(dest, 'train2017'))).toHaveLength(35);
  expect(server.imageRequests().filter((name) => name === '000000000042.jpg')).toHaveLength(2);
});

test('Pause stops the download and Resume goes on into the same folder, which the served app made', async ({ page }) => {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  server.beforeImage = () => held;
  const dest = join(scratch, 'paused');

  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('coco-dest').fill(dest);
  await page.getByTestId('coco-base-url').fill(server.baseUrl);
  await page.getByTestId('coco-subset-chosen').click();
  await page.getByTestId('coco-categories').getByRole('combobox').fill('elephant');
  await page.getByRole('option', { name: 'elephant', exact: true }).click();
  await page.getByTestId('coco-download').click();
  await expect(page.getByTestId('coco-progress')).toHaveAttribute('data-phase', 'Downloading images');
  await page.getByTestId('coco-pause').click();
  await expect(page.getByTestId('coco-paused')).toContainText(`Paused. What was downloaded stays in ${dest}`);
  release();
  expect(readdirSync(join(dest, 'train2017'))).toEqual([]);

  await page.getByTestId('coco-resume').click();
  // coco128: elephant is in 4 images.
  await expect(page.getByTestId('coco-result')).toHaveAttribute('data-downloaded', '4');
  await expect(page.getByTestId('coco-result')).toContainText('elephant');
  expect(readdirSync(join(dest, 'train2017'))).toHaveLength(4);
  // The zip was fetched once: the resumed call found the annotations already out of it.
  expect(server.requests.filter((r) => r.path.endsWith('.zip'))).toHaveLength(1);
});
