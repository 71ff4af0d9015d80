import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceExampleCategories } from '../../src/shared/domain/presets';
import { writeCocoFixture } from '../fixtures/coco-fixture';
import { coco128, hasCoco128, projectRoot, startServedApp, type ServedApp } from './serve-harness';

interface Stats {
  images: number;
  perClass: Record<string, number>;
  labelsPerImage: { histogram: Record<string, number>; mean: number };
}

const screenshots = join(projectRoot, 'test-results');
let app: ServedApp;
let scratch: string;
let data: { annotations: string; images: string; source: string };

test.beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'mlw-e2e-data-'));
  if (hasCoco128) {
    data = { ...coco128, source: 'the real COCO sample in ../shared/data/coco128' };
  } else {
    // Without ../shared the same checks run on a generated COCO file with real JPEGs.
    const fixture = await writeCocoFixture(scratch, { images: true });
    data = {
      annotations: fixture.annotationPath,
      images: fixture.imagesDir,
      source: 'a generated fixture (../shared/data/coco128 is absent)',
    };
  }
  console.log(`Dataset workspace end-to-end tests use ${data.source}.`);
});

test.afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test.beforeEach(async () => {
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
});

async function openApp(page: Page): Promise<void> {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
}

async function importFile(page: Page, annotations: string, images?: string): Promise<void> {
  await page.getByTestId('import-annotation-path').fill(annotations);
  if (images !== undefined) await page.getByTestId('import-images-dir').fill(images);
  await page.getByTestId('import-annotation-path').blur();
  await page.getByTestId('import-button').click();
}

function dataValues(page: Page, testId: string): Promise<unknown> {
  return page
    .getByTestId(testId)
    .getAttribute('data-values')
    .then((value) => JSON.parse(value ?? 'null'));
}

test('the 12-category preset shows the same numbers as mlw stats, in the charts and the headline', async ({ page }) => {
  await openApp(page);
  await importFile(page, data.annotations, data.images);
  await expect(page.getByTestId('import-result')).toBeVisible();

  await page.getByTestId('reference-example-button').click();
  const available = app.mlwJson<{ name: string }[]>('categories', data.annotations).map((c) => c.name);
  const selection = referenceExampleCategories.filter((name) => available.includes(name));
  const expected = app.mlwJson<Stats>('stats', '--annotations', data.annotations, '--categories', selection.join(','));

  await expect(page.getByTestId('subset-images')).toHaveAttribute('data-value', String(expected.images));
  await expect(page.getByTestId('subset-images')).toHaveText(expected.images.toLocaleString('en-US'));
  await expect(page.getByTestId('labels-mean')).toHaveText(expected.labelsPerImage.mean.toFixed(4));
  await expect.poll(() => dataValues(page, 'class-balance-chart')).toEqual(expected.perClass);
  await expect.poll(() => dataValues(page, 'labels-histogram')).toEqual(expected.labelsPerImage.histogram);
  // The charts themselves drew one bar per class and one per label count.
  await expect(page.getByTestId('class-balance-chart').locator('[data-bar]')).toHaveCount(selection.length);
  await expect(page.getByTestId('class-balance-chart').locator('[data-count]')).toHaveText(
    [...selection]
      .sort((a, b) => expected.perClass[b]! - expected.perClass[a]! || selection.indexOf(a) - selection.indexOf(b))
      .map((name) => String(expected.perClass[name])),
  );
  const bins = Object.keys(expected.labelsPerImage.histogram).sort((a, b) => Number(a) - Number(b));
  const histogram = page.getByTestId('labels-histogram');
  await expect(histogram.locator('[data-bar]')).toHaveCount(bins.length);
  await expect(histogram.locator('[data-count]')).toHaveText(
    bins.map((n) => expected.labelsPerImage.histogram[n]!.toLocaleString('en-US')),
  );
  await expect(page.getByTestId('labels-histogram-mean')).toHaveText(`mean ${expected.labelsPerImage.mean.toFixed(2)}`);

  // Thumbnails of the subset arrive in the image browser.
  await expect(page.getByTestId('image-tile').first()).toBeVisible();
  await expect(page.locator('[data-testid="image-tile"] img').first()).toBeVisible();
  await page.screenshot({ path: join(screenshots, 'dataset-workspace-12-categories.png'), fullPage: true });

  // The selection survives a reload.
  await page.reload();
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await expect(page.getByTestId('subset-images')).toHaveAttribute('data-value', String(expected.images));
  expect(JSON.parse((await page.getByTestId('category-picker').getAttribute('data-selected')) ?? '[]')).toEqual(selection);
});

test('an image opens large with its labels and COCO boxes', async ({ page }) => {
  await openApp(page);
  await importFile(page, data.annotations, data.images);
  await expect(page.getByTestId('import-result')).toBeVisible();
  await page.getByTestId('reference-example-button').click();
  await page.getByTestId('image-tile').first().click();
  const dialog = page.getByTestId('image-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('img')).toBeVisible();
  const boxes = dialog.getByTestId('image-boxes');
  await expect(boxes).toBeVisible();
  const boxCount = Number(await boxes.getAttribute('data-box-count'));
  expect(boxCount).toBeGreaterThan(0);
  await expect(boxes.locator('g[data-category]')).toHaveCount(boxCount);
  // Boxes of the selected categories are highlighted; the image's labels are listed.
  await expect(boxes.locator('g[data-selected="true"]').first()).toBeAttached();
  await expect(dialog.getByTestId('image-dialog-labels')).not.toBeEmpty();
  await page.screenshot({ path: join(screenshots, 'dataset-image-dialog.png') });
});

test('two files of the same name are told apart by their folders, and a folder of the other split is named as such', async ({ page }) => {
  const train = await writeCocoFixture(join(scratch, 'coco', 'annotations'), { fileName: 'instances_train2017.json' });
  const copy = await writeCocoFixture(join(scratch, 'copy', 'annotations'), { fileName: 'instances_train2017.json', extraImages: 3 });
  // A val2017 folder: images, none of them this file's.
  const val = join(scratch, 'coco', 'val2017');
  mkdirSync(val, { recursive: true });
  for (const name of ['000000000139.jpg', '000000000285.jpg', '000000000632.jpg']) writeFileSync(join(val, name), '');

  await openApp(page);
  await importFile(page, train.annotationPath, val);
  await expect(page.getByTestId('import-result')).toBeVisible();
  await page.getByTestId('import-images-dir').fill('');
  await importFile(page, copy.annotationPath);
  await expect(page.getByTestId('import-result')).toContainText('11 images');

  await page.getByRole('combobox', { name: 'Annotation file' }).click();
  const [trainFile] = app.mlwJson<{ fileId: number; path: string }[]>('files').filter((f) => f.path === train.annotationPath);
  const option = page.getByTestId(`file-option-${trainFile!.fileId}`);
  await expect(option.getByTestId('file-option-folder')).toHaveText(`in ${join(scratch, 'coco', 'annotations')}`);
  await expect(page.getByRole('option').getByTestId('file-option-folder')).toHaveText([
    `in ${join(scratch, 'copy', 'annotations')}`,
    `in ${join(scratch, 'coco', 'annotations')}`,
  ]);
  await page.screenshot({ path: join(screenshots, 'dataset-files-same-name.png') });
  await option.click();

  await page.getByTestId('reference-example-button').click();
  const missing = page.getByTestId('missing-images');
  await expect(missing).toHaveAttribute('data-folder-state', 'wrong-folder');
  await expect(page.getByTestId('missing-images-message')).toHaveText(
    `None of the 8 images of instances_train2017.json are in ${val}, though it holds 3 image files: it looks like the val2017 folder, and instances_train2017.json describes the train2017 images. Choose the train2017 folder.`,
  );

  // Bars by name, then on a log scale.
  const chart = page.getByTestId('class-balance-chart');
  await page.getByTestId('class-order').getByRole('button', { name: 'By name' }).click();
  const names = JSON.parse((await chart.getAttribute('data-order')) ?? '[]') as string[];
  expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  await page.getByTestId('class-log-scale').click();
  await expect(chart).toHaveAttribute('data-scale', 'log');
  await expect(page.getByTestId('class-axis-title')).toHaveText('Images (log scale)');
  await expect(chart.locator('[data-class-name]')).toHaveText(['bird', 'cat', 'couch', 'dog', 'potted plant']);
  await expect(chart.locator('[data-count]')).toHaveText(['0', '3', '2', '4', '1']);
  // Decades from 1 to 10; bird (no image) has no bar, dog (4) reaches log10(4) of the axis.
  await expect(chart.locator('[data-tick]')).toHaveText(['1', '10']);
  const widths = await chart.locator('[data-bar]').evaluateAll((bars) => bars.map((bar) => (bar as HTMLElement).style.width));
  expect(Number.parseFloat(widths[0]!)).toBe(0);
  expect(Number.parseFloat(widths[3]!)).toBeCloseTo(Math.log10(4) * 100, 2);
  await page.screenshot({ path: join(screenshots, 'dataset-wrong-folder-log-scale.png'), fullPage: true });
});

test('a truncated annotation file is refused with a clear message and the cache keeps the previous import', async ({ page }) => {
  await openApp(page);
  await importFile(page, data.annotations, data.images);
  await expect(page.getByTestId('import-result')).toBeVisible();

  const truncated = join(scratch, 'truncated.json');
  const full = readFileSync(data.annotations);
  writeFileSync(truncated, full.subarray(0, Math.floor(full.length / 2)));
  await importFile(page, truncated);
  await expect(page.getByTestId('import-error')).toContainText('truncated');
  await page.screenshot({ path: join(screenshots, 'dataset-import-truncated.png') });

  const files = app.mlwJson<{ path: string }[]>('files');
  expect(files.map((f) => f.path)).toEqual([data.annotations]);
});

test('a wrong path is reported by the server before importing', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('import-annotation-path').fill(join(scratch, 'no-such-file.json'));
  await page.getByTestId('import-annotation-path').blur();
  await expect(page.getByTestId('import-annotation-path-helper')).toContainText('Nothing exists at this path');
  await page.screenshot({ path: join(screenshots, 'dataset-import-wrong-path.png') });
});

test('the server refuses a browser without the token', async ({ page }) => {
  const withoutToken = app.url.replace(/\?token=.*$/, '');
  const response = await page.goto(withoutToken);
  expect(response?.status()).toBe(401);
  await page.screenshot({ path: join(screenshots, 'serve-without-token.png') });
});

/**
 * Writes a valid COCO file of about `megabytes` MB without holding it in memory: many small
 * annotations, since what an import spends its time on is elements, not polygon bytes.
 */
async function writeLargeCocoFile(path: string, megabytes: number): Promise<void> {
  const { createWriteStream } = await import('node:fs');
  const out = createWriteStream(path);
  const write = (text: string): Promise<void> =>
    out.write(text) ? Promise.resolve() : new Promise((done) => out.once('drain', () => done()));
  const polygon = `[${Array.from({ length: 24 }, (_, i) => (100 + i + 0.25).toFixed(2)).join(', ')}]`;
  const perAnnotation = polygon.length + 130;
  const annotations = Math.ceil((megabytes * 1024 * 1024) / perAnnotation);
  const images = Math.ceil(annotations / 4);
  await write('{"categories": [{"id": 18, "name": "dog", "supercategory": "animal"}], "images": [');
  let batch: string[] = [];
  for (let i = 1; i <= images; i++) {
    batch.push(`{"id": ${i}, "file_name": "${String(i).padStart(12, '0')}.jpg", "width": 640, "height": 480}`);
    if (batch.length === 1000 || i === images) {
      await write(`${i > batch.length ? ',' : ''}${batch.join(',')}`);
      batch = [];
    }
  }
  await write('], "annotations": [');
  for (let a = 1; a <= annotations; a++) {
    batch.push(
      `{"segmentation": [${polygon}], "area": 100.5, "iscrowd": 0, "image_id": ${1 + (a % images)}, "bbox": [1.5, 2.5, 30, 40], "category_id": 18, "id": ${a}}`,
    );
    if (batch.length === 1000 || a === annotations) {
      await write(`${a > batch.length ? ',' : ''}${batch.join(',')}`);
      batch = [];
    }
  }
  await write(']}');
  await new Promise<void>((done) => out.end(done));
}

test('a long import shows bytes and time left, goes on while another workspace is shown, and Cancel leaves the cache as it was', async ({
  page,
}) => {
  const large = join(scratch, 'large.json');
  // The import reads some 150 MB/s on a 2-core machine: 800 MB leaves it running for seconds after
  // its progress first shows, so Cancel always lands before it ends (300 MB sometimes did not).
  await writeLargeCocoFile(large, 800);
  await openApp(page);
  await importFile(page, data.annotations, data.images);
  await expect(page.getByTestId('import-result')).toBeVisible();

  await page.getByTestId('import-images-dir').fill('');
  await importFile(page, large);
  const progress = page.getByTestId('import-progress');
  await expect(progress).toContainText(/MB of \d+ MB/);
  await page.screenshot({ path: join(screenshots, 'dataset-import-progress.png') });
  await page.getByTestId('import-cancel-button').click();
  await expect(page.getByTestId('import-cancelled')).toBeVisible();
  const files = app.mlwJson<{ path: string }[]>('files');
  expect(files.map((f) => f.path)).toEqual([data.annotations]);

  // The import is a job of the service: leaving the workspace does not stop it.
  await importFile(page, large);
  await expect(page.getByTestId('import-progress')).toContainText(/MB of \d+ MB/);
  await page.getByTestId('nav-train').click();
  await expect
    .poll(() => app.mlwJson<{ path: string }[]>('files').map((f) => f.path), { timeout: 120_000 })
    .toEqual(expect.arrayContaining([data.annotations, large]));
  await page.getByTestId('nav-dataset').click();
  await expect(page.getByTestId('import-panel')).toBeVisible();
});
