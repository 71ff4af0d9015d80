import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCache } from '../../src/main/db/connection';
import { writeCocoFixture } from '../fixtures/coco-fixture';
import { insertRunWithScores } from '../fixtures/run-fixture';
import { coco128, hasCoco128, hasModel, projectRoot, startServedApp, trainCoco128Run, type ServedApp } from './serve-harness';

// MLW_E2E_FIXTURE_RUN=1 takes the fixture path even where the real data is present (what machines without it run).
const useRealRun = hasCoco128 && hasModel && process.env.MLW_E2E_FIXTURE_RUN !== '1';
const screenshots = join(projectRoot, 'test-results');

let app: ServedApp;
let scratch: string;

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'mlw-e2e-labels-'));
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * The data and a completed run to review: coco128 and a frozen run of the real MobileNet where this
 * machine has them; otherwise the generated fixture and a run whose scores say image 25 (a person,
 * no dog) shows a dog.
 */
async function prepare(): Promise<{ annotations: string; images: string; runId: string; source: string }> {
  if (useRealRun) {
    return { ...coco128, runId: trainCoco128Run(app), source: 'coco128 and a frozen run of the real MobileNet' };
  }
  const fixture = await writeCocoFixture(scratch, { images: true });
  const db = openCache(app.dataDir);
  try {
    // dog, cat, couch, potted plant as the fixture labels them; scores that agree, but a dog on 25.
    insertRunWithScores(db, {
      runId: 'run-e2e-labels',
      classes: ['dog', 'cat', 'couch', 'potted plant'],
      imageIds: [9, 25, 30, 36, 49, 61],
      labels: [
        [1, 1, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 1, 0],
        [0, 1, 1, 0],
        [1, 0, 0, 1],
        [1, 1, 0, 0],
      ],
      scores: [
        [0.9, 0.8, 0.1, 0.1],
        [0.97, 0.1, 0.1, 0.1],
        [0.1, 0.1, 0.8, 0.1],
        [0.1, 0.9, 0.9, 0.1],
        [0.8, 0.1, 0.1, 0.9],
        [0.9, 0.9, 0.1, 0.1],
      ],
      valAnnotations: fixture.annotationPath,
      valImages: fixture.imagesDir,
    });
  } finally {
    db.close();
  }
  return {
    annotations: fixture.annotationPath,
    images: fixture.imagesDir,
    runId: 'run-e2e-labels',
    source: 'the generated fixture and a fixture run (../shared/data/coco128 or ../shared/models is absent)',
  };
}

async function importFile(page: Page, annotations: string, images: string): Promise<void> {
  await page.getByTestId('import-annotation-path').fill(annotations);
  await page.getByTestId('import-images-dir').fill(images);
  await page.getByTestId('import-annotation-path').blur();
  await page.getByTestId('import-button').click();
}

async function chartValues(page: Page): Promise<Record<string, number>> {
  return JSON.parse((await page.getByTestId('class-balance-chart').getAttribute('data-values')) ?? '{}') as Record<string, number>;
}

test('a suspect accepted with the keyboard changes the class balance, and the export imports back with the corrected labels', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const data = await prepare();
  console.log(`Labels end-to-end test uses ${data.source}.`);

  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await importFile(page, data.annotations, data.images);
  await expect(page.getByTestId('import-result')).toBeVisible();
  await page.getByTestId('reference-example-button').click();
  await expect(page.getByTestId('subset-stats')).toHaveAttribute('data-state', 'ready');
  const before = await chartValues(page);
  // The first class of the selection, which the digit 1 toggles in the image viewer.
  const referenceFirst = JSON.parse((await page.getByTestId('category-picker').getAttribute('data-selected')) ?? '[]')[0] as string;
  await expect(page.getByTestId('labels-summary')).toHaveAttribute('data-changes', '0');

  // The review queue: the first suspect, accepted with the keyboard.
  await page.getByTestId('review-suspects').click();
  const dialog = page.getByTestId('suspects-dialog');
  // The newest completed run is the one picked.
  await expect(dialog.getByTestId('suspects-run-select')).toHaveValue(data.runId);
  const suspect = dialog.getByTestId('suspect');
  await expect(suspect).toBeVisible();
  const cls = (await suspect.getAttribute('data-class'))!;
  const kind = (await suspect.getAttribute('data-kind'))!;
  const imageId = Number(await suspect.getAttribute('data-image-id'));
  if (useRealRun) await expect(dialog.getByTestId('suspect-gradcam')).toBeVisible({ timeout: 60_000 });
  await page.keyboard.press('a');
  await expect(dialog.getByTestId('suspects-counts')).toHaveAttribute('data-accepted', '1');
  await expect(dialog.getByTestId('suspects-last')).toContainText(`Accepted: ${cls}`);
  // The queue moves on to another pair.
  await expect
    .poll(async () => `${await suspect.getAttribute('data-image-id')}:${await suspect.getAttribute('data-class')}`)
    .not.toBe(`${imageId}:${cls}`);
  if (useRealRun) await expect(dialog.getByTestId('suspect-gradcam')).toBeVisible({ timeout: 60_000 });
  await page.screenshot({ path: join(screenshots, 'labels-review.png') });
  await dialog.getByTestId('suspects-close').click();

  // The class balance follows: one image more (a missing label added) or less (a wrong one removed).
  const expected = { ...before, [cls]: before[cls]! + (kind === 'missing' ? 1 : -1) };
  await expect.poll(() => chartValues(page)).toEqual(expected);
  await expect(page.getByTestId('labels-summary')).toHaveAttribute('data-changes', '1');

  // The image viewer: a digit toggles the first class, Ctrl+Z takes it back, → opens the next image, R marks it reviewed.
  const first = page.getByTestId('image-tile').first();
  const firstId = (await first.getAttribute('data-image-id'))!;
  await first.click();
  const viewer = page.getByTestId('image-dialog');
  const toggle = viewer.getByTestId('label-toggle').first();
  await expect(toggle).toBeEnabled();
  const was = (await toggle.getAttribute('data-present'))!;
  await page.keyboard.press('1');
  await expect(toggle).toHaveAttribute('data-present', was === 'true' ? 'false' : 'true');
  await expect(toggle).toHaveAttribute('data-edited', 'true');
  await expect(viewer.getByTestId('image-history')).toContainText(`${was === 'true' ? 'Removed' : 'Added'} ${referenceFirst}`);
  await page.keyboard.press('Control+z');
  await expect(toggle).toHaveAttribute('data-present', was);
  await expect(toggle).toHaveAttribute('data-edited', 'false');
  await page.keyboard.press('ArrowRight');
  await expect(viewer).not.toHaveAttribute('data-image-id', firstId);
  const reviewedId = (await viewer.getAttribute('data-image-id'))!;
  await expect(viewer.getByTestId('image-reviewed')).toBeEnabled();
  await page.keyboard.press('r');
  await expect(viewer.getByTestId('image-reviewed')).toHaveAttribute('data-reviewed', 'true');
  await page.screenshot({ path: join(screenshots, 'labels-image-dialog.png') });
  await page.getByTestId('image-dialog-close').click();
  await expect.poll(() => chartValues(page)).toEqual(expected);
  await page.getByRole('combobox', { name: 'Review' }).click();
  await page.getByRole('option', { name: 'Reviewed', exact: true }).click();
  await expect(page.getByTestId('image-tile')).toHaveCount(1);
  await expect(page.getByTestId('image-tile').first()).toHaveAttribute('data-image-id', reviewedId);

  // The accepted suspect's image is among the edited ones, with the edit in its history.
  await page.getByRole('combobox', { name: 'Review' }).click();
  await page.getByRole('option', { name: 'Labels edited' }).click();
  if (kind === 'missing') {
    await expect(page.getByTestId('image-tile')).toHaveCount(1);
    await expect(page.getByTestId('image-tile').first()).toHaveAttribute('data-edited', 'true');
    await page.getByTestId('image-tile').first().click();
    await expect(page.getByTestId('image-dialog').getByTestId('image-history')).toContainText(`Added ${cls}`);
    await page.getByTestId('image-dialog-close').click();
  }

  // Export (the browser downloads the COCO file), then import it: its labels are the corrected ones.
  const download = page.waitForEvent('download');
  await page.getByTestId('export-labels').click();
  const exported = join(scratch, 'exported-labels.json');
  await (await download).saveAs(exported);
  await expect(page.getByTestId('export-labels-done')).toContainText(
    kind === 'missing' ? '1 added and 0 removed' : '0 added and 1 removed',
  );
  const written = JSON.parse(readFileSync(exported, 'utf8')) as { images: { id: number }[]; mlw_image_labels?: { image_id: number }[] };
  if (kind === 'missing') expect(written.mlw_image_labels?.map((l) => l.image_id)).toEqual([imageId]);

  await importFile(page, exported, data.images);
  await expect(page.getByTestId('import-result')).toContainText(`${written.images.length} images`);
  await expect(page.getByRole('combobox', { name: 'Annotation file' })).toContainText('exported-labels.json');
  await expect.poll(() => chartValues(page)).toEqual(expected);
  // The imported export has no edits of its own: its file labels are the corrected ones.
  await expect(page.getByTestId('labels-summary')).toHaveAttribute('data-changes', '0');
  const reimported = app.mlwJson<{ perClass: Record<string, number> }>(
    'stats',
    '--annotations',
    exported,
    '--categories',
    Object.keys(expected).join(','),
  );
  expect(reimported.perClass).toEqual(expected);

  // The run judged on the corrected labels: one positive more or less of the suspect's class than on those it was validated on.
  await page.getByTestId('nav-evaluate').click();
  const row = page.locator(`[data-testid="class-row"][data-class="${cls}"]`);
  await expect(row).toBeVisible();
  const validatedOn = Number(await row.getAttribute('data-positives'));
  await page.getByRole('combobox', { name: 'Judged on' }).click();
  await page.getByRole('option', { name: 'The corrected labels (label edits now)' }).click();
  await expect(row).toHaveAttribute('data-positives', String(validatedOn + (kind === 'missing' ? 1 : -1)));
});

test('a box dragged over the grid selects the tiles it touches, and a label is removed from all of them', async ({ page }) => {
  test.setTimeout(120_000);
  const fixture = await writeCocoFixture(scratch, { images: true });
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await importFile(page, fixture.annotationPath, fixture.imagesDir);
  await expect(page.getByTestId('import-result')).toBeVisible();
  await page.getByTestId('reference-example-button').click();
  await expect(page.getByTestId('subset-stats')).toHaveAttribute('data-state', 'ready');
  const tiles = page.getByTestId('image-tile');
  await expect(tiles.nth(2)).toBeVisible();
  await expect(page.getByTestId('image-browser')).toHaveAttribute('data-stale', 'false');

  // From inside the first tile to inside the third of the first row: the three tiles are selected.
  await expect(page.getByTestId('class-balance-chart')).toBeVisible();
  await page.getByTestId('image-browser').scrollIntoViewIfNeeded();
  // The charts above the grid settle first, so the tiles stay where they were measured: wait until
  // the first tile is where it was a moment before.
  let previous = '';
  await expect
    .poll(async () => {
      const box = JSON.stringify(await tiles.nth(0).boundingBox());
      const still = box === previous;
      previous = box;
      return still;
    })
    .toBe(true);
  const first = (await tiles.nth(0).boundingBox())!;
  const third = (await tiles.nth(2).boundingBox())!;
  expect(Math.abs(third.y - first.y)).toBeLessThan(1);
  await page.mouse.move(first.x + 30, first.y + 40);
  await page.mouse.down();
  await page.mouse.move(first.x + 80, first.y + 60, { steps: 4 });
  await page.mouse.move(third.x + 30, third.y + 80, { steps: 8 });
  await expect(page.getByTestId('selection-box')).toBeVisible();
  await page.screenshot({ path: join(screenshots, 'labels-box-select.png') });
  await page.mouse.up();
  await expect(page.getByTestId('selection-box')).toHaveCount(0);
  // The release selects: it opens no image.
  await expect(page.getByTestId('image-dialog')).toHaveCount(0);
  const bar = page.getByTestId('selection-bar');
  await expect(bar).toHaveAttribute('data-selected', '3');
  await expect(page.locator('[data-testid="image-tile"][data-selected="true"]')).toHaveCount(3);
  for (const k of [0, 1, 2]) await expect(tiles.nth(k)).toHaveAttribute('data-selected', 'true');

  // With Ctrl, a box inside the second tile toggles it off again.
  const second = (await tiles.nth(1).boundingBox())!;
  await page.keyboard.down('Control');
  await page.mouse.move(second.x + 20, second.y + 30);
  await page.mouse.down();
  await page.mouse.move(second.x + 60, second.y + 70, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up('Control');
  await expect(bar).toHaveAttribute('data-selected', '2');
  await expect(tiles.nth(1)).toHaveAttribute('data-selected', 'false');

  // Remove the first selected tile's first label from both.
  const labelsOf = async (k: number): Promise<string[]> =>
    ((await tiles.nth(k).getAttribute('aria-label')) ?? '')
      .replace(/^Open [^:]*: /, '')
      .split(', ')
      .filter((l) => l !== '');
  const [labels0, labels2] = [await labelsOf(0), await labelsOf(2)];
  const cls = labels0[0]!;
  const changed = [labels0, labels2].filter((labels) => labels.includes(cls)).length;
  const before = await chartValues(page);
  await page.getByTestId('selection-label').locator('..').getByRole('combobox').click();
  await page.getByRole('option', { name: cls, exact: true }).click();
  await page.getByTestId('selection-remove').click();
  await expect(page.getByTestId('selection-done')).toContainText(`Removed ${cls} from 2 images (${changed} changed).`);
  await expect.poll(() => chartValues(page)).toEqual({ ...before, [cls]: before[cls]! - changed });
  await expect(page.getByTestId('labels-summary')).toHaveAttribute('data-changes', String(changed));
});
