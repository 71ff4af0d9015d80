import { expect, test, type Locator, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCache } from '../../src/main/db/connection';
import { insertRunWithScores } from '../fixtures/run-fixture';
import { coco128, hasCoco128, hasModel, projectRoot, startServedApp, trainCoco128Run, type ServedApp } from './serve-harness';

const screenshots = join(projectRoot, 'test-results');

/** What `mlw predict --json` prints: scores by class name. */
interface CliPrediction {
  classes: string[];
  thresholds: number[];
  results: ({ ok: true; image: string; scores: Record<string, number>; labels: string[] } | { ok: false; image: string; error: string })[];
}

let app: ServedApp;
let scratch: string;

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'mlw-e2e-predict-'));
  app = await startServedApp();
});

test.afterEach(async () => {
  await app.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function card(page: Page, image: string): Locator {
  return page.locator(`[data-testid="prediction-card"][data-image="${image}"]`);
}

/** The class → score table of a card, as shown. */
async function shownScores(cardLocator: Locator): Promise<Record<string, number>> {
  const rows = await cardLocator
    .getByTestId('score-row')
    .evaluateAll((cells) => cells.map((c) => [c.getAttribute('data-class') ?? '', Number(c.getAttribute('data-score'))] as const));
  return Object.fromEntries(rows);
}

/** Every row of the cards named, as shown: class → score. */
async function shownCards(page: Page, names: readonly string[]): Promise<Record<string, number>[]> {
  return Promise.all(names.map((name) => shownScores(card(page, name))));
}

/**
 * Temperature scaling written out plainly (not the app's function): the score clipped to
 * [1e-7, 1 − 1e-7], its logit divided by T, the sigmoid of that.
 */
function scaledByHand(p: number, temperature: number): number {
  const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  return 1 / (1 + Math.exp(-Math.log(q / (1 - q)) / temperature));
}

/** The whole page from its top (the app bar and navigation are fixed, so a scrolled page would show them midway). */
async function fullPageScreenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
  await page.screenshot({ path: join(screenshots, name), fullPage: true });
}

test('predicts new images as mlw predict does, explains one with Grad-CAM, shows and caches a gallery', async ({ page }) => {
  test.skip(
    !hasCoco128 || !hasModel,
    'Needs a real trained run (head and weights): ../shared/data/coco128 and ../shared/models/mobilenet_v1_0.75_224 are not both on this machine.',
  );
  test.setTimeout(180_000);
  const started = Date.now();
  const runId = trainCoco128Run(app);
  const trained = Date.now();

  const byPath = [join(coco128.images, '000000000042.jpg'), join(coco128.images, '000000000599.jpg')];
  // The example's first image holds a cat and a couch; this one does too.
  const sent = join(coco128.images, '000000000443.jpg');
  const broken = join(scratch, 'broken.jpg');
  writeFileSync(broken, 'This is text, not a JPEG.\n');
  const notAnImage = join(scratch, 'notes.txt');
  writeFileSync(notAnImage, 'not an image\n');

  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('nav-predict').click();
  await expect(page.getByRole('heading', { name: 'Predict new images' })).toBeVisible();
  await expect(page.getByTestId('predict-empty')).toBeVisible();
  await page.getByRole('combobox', { name: /^Run/ }).click();
  await page.locator(`[data-testid="predict-run-option"][data-run-id="${runId}"]`).click();
  await expect(page.getByTestId('workspace-predict').locator(`[data-run-id="${runId}"]`)).toBeAttached();

  // Two images by their path on the service's machine (the browser's form of a file dialog).
  for (const path of byPath) {
    await page.getByTestId('predict-path').fill(path);
    await page.getByTestId('predict-add-path').click();
    await expect(card(page, path)).toBeVisible();
  }
  // A real JPEG and a broken one chosen in the browser and sent; a text file is turned away.
  await page.getByTestId('predict-file-input').setInputFiles([sent, broken, notAnImage]);
  await expect(page.getByTestId('predict-rejected')).toContainText('notes.txt is not a JPEG, PNG or WebP image');
  await expect(page.getByTestId('prediction-card')).toHaveCount(4);
  await expect(card(page, '000000000443.jpg').locator('img')).toBeVisible();

  await page.getByTestId('predict-button').click();
  await expect(page.locator('[data-testid="prediction-card"][data-state="ok"]')).toHaveCount(3);
  await expect(card(page, 'broken.jpg')).toHaveAttribute('data-state', 'error');
  const brokenMessage = card(page, 'broken.jpg').getByTestId('prediction-error');
  await expect(brokenMessage).toContainText('broken.jpg cannot be read as an image');
  await expect(brokenMessage).not.toContainText('uploads');
  await expect(card(page, 'broken.jpg').getByTestId('preview-failed')).toBeVisible();

  // The same images through the CLI: equal scores, and the labels are the classes scoring at least 0.5.
  const cli = app.mlwJson<CliPrediction>('predict', '--run', runId, ...byPath, sent, broken);
  expect(cli.thresholds.every((t) => t === 0.5)).toBe(true);
  const shownAs = [...byPath, '000000000443.jpg'];
  for (const [i, name] of shownAs.entries()) {
    const expected = cli.results[i]!;
    if (!expected.ok) throw new Error(`mlw predict could not read ${expected.image}: ${expected.error}`);
    const shown = card(page, name);
    expect(await shownScores(shown), name).toEqual(expected.scores);
    const labels = cli.classes.filter((c) => expected.scores[c]! >= 0.5);
    expect(labels).toEqual(expected.labels);
    await expect(shown.getByTestId('prediction-labels')).toHaveAttribute('data-labels', JSON.stringify(labels));
    await expect(shown.getByTestId('prediction-labels')).toHaveText(labels.length === 0 ? 'No class' : labels.join(', '));
    // The table is sorted by score, highest first.
    const order = await shown.getByTestId('score-row').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-score'))));
    expect(order).toEqual([...order].sort((a, b) => b - a));
  }
  expect(cli.results[3]!.ok).toBe(false);
  await fullPageScreenshot(page, 'predict-workspace.png');

  // Grad-CAM of the sent image: its predicted classes, plus dog as in the example's targetClasses.
  const sentScores = (cli.results[2] as { scores: Record<string, number> }).scores;
  const predicted = cli.classes.filter((c) => sentScores[c]! >= 0.5);
  await card(page, '000000000443.jpg').getByTestId('prediction-explain').click();
  // Its predicted classes, or its top class where none reaches the threshold.
  await expect(page.getByTestId('gradcam-tile')).toHaveCount(Math.max(1, predicted.length));
  const shown = await page.getByTestId('gradcam-tile').evaluateAll((tiles) => tiles.map((t) => t.getAttribute('data-class') ?? ''));
  if (predicted.length > 0) expect(shown.sort()).toEqual([...predicted].sort());
  const target = [...new Set([...shown, 'dog'])];
  if (!shown.includes('dog')) {
    await page.locator('[data-testid="gradcam-class-chip"][data-class="dog"]').click();
    await page.getByTestId('gradcam-button').click();
    await expect(page.getByTestId('gradcam-tile')).toHaveCount(target.length);
  }
  await expect(page.getByTestId('gradcam-original').locator('img')).toBeVisible();
  for (const name of target) {
    const tile = page.locator(`[data-testid="gradcam-tile"][data-class="${name}"]`);
    await expect(tile.locator('img')).toBeVisible();
    // The predicted classes' maps have a peak; a class the network is sure is absent may have a flat map.
    if (predicted.includes(name)) await expect(tile.getByTestId('gradcam-peak')).toBeAttached();
    const score = Number(await tile.getAttribute('data-score'));
    // Grad-CAM's forward pass is the same network; its score equals the prediction's to float32 precision.
    expect(Math.abs(score - sentScores[name]!), `${name}: ${score} vs ${sentScores[name]}`).toBeLessThan(1e-5);
  }

  // The workspace keeps its images, scores and Grad-CAM across a switch to another workspace...
  await page.getByTestId('nav-dataset').click();
  await page.getByTestId('nav-predict').click();
  await expect(page.getByTestId('prediction-card')).toHaveCount(4);
  await expect(page.locator('[data-testid="prediction-card"][data-state="ok"]')).toHaveCount(3);
  await expect(page.getByTestId('gradcam-tile')).toHaveCount(target.length);
  // ...and across a reload: images given by path, and the sent one as the copy the service stored (the
  // unreadable sent file, never stored, does not come back).
  await page.reload();
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('nav-predict').click();
  await expect(page.locator('[data-testid="prediction-card"][data-state="ok"]')).toHaveCount(byPath.length + 1);
  await expect(page.getByTestId('prediction-card')).toHaveCount(byPath.length + 1);
  await expect(card(page, '000000000443.jpg').getByTestId('prediction-labels')).toBeVisible();
  await expect(page.getByTestId('gradcam-tile')).toHaveCount(target.length);

  // A gallery: the two most confident true positives of dog, then the same again from the run's cache.
  await page.getByRole('combobox', { name: /^Class/ }).click();
  await page.getByRole('option', { name: 'dog', exact: true }).click();
  await page.getByTestId('gallery-count').fill('2');
  await page.getByTestId('gallery-button').click();
  const result = page.getByTestId('gallery-result');
  await expect(result).toHaveAttribute('data-cached', 'false', { timeout: 60_000 });
  await expect(result).toHaveAttribute('data-class', 'dog');
  const tiles = page.getByTestId('gallery-tile');
  await expect(tiles).toHaveCount(2);
  await expect(tiles.first().locator('img')).toHaveCount(2);
  const galleryScores = await tiles.evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-score'))));
  expect(galleryScores.every((s) => s >= 0.5)).toBe(true);
  await page.getByTestId('gallery-button').click();
  await expect(result).toHaveAttribute('data-cached', 'true');
  await expect(page.getByTestId('gallery-cached')).toBeVisible();
  await expect(tiles).toHaveCount(2);
  await fullPageScreenshot(page, 'predict-gradcam.png');

  // Temperature scaling, as in Evaluate: the run left its learn rate and L2 to the search, which fitted T on held-out images.
  const listed = app.mlwJson<{ runId: string; calibration: { temperature: number } | null }[]>('runs');
  const temperature = listed.find((r) => r.runId === runId)?.calibration?.temperature;
  if (temperature === undefined) throw new Error(`run ${runId} has no temperature`);
  const own = shownAs.map((_, i) => (cli.results[i] as { scores: Record<string, number> }).scores);
  const byHand = own.map((scores) => Object.fromEntries(Object.entries(scores).map(([c, p]) => [c, scaledByHand(p, temperature)])));
  const cliScaled = app.mlwJson<CliPrediction & { calibrated: boolean; temperature: number }>(
    'predict',
    '--run',
    runId,
    ...byPath,
    sent,
    '--calibrated',
  );
  expect(cliScaled).toMatchObject({ calibrated: true, temperature });
  const expectScaledCards = async (): Promise<void> => {
    const shownNow = await shownCards(page, shownAs);
    for (const [i, name] of shownAs.entries()) {
      for (const c of cli.classes) expect(shownNow[i]![c], `${name} ${c}`).toBeCloseTo(byHand[i]![c]!, 12);
      // The window's figures are the service's: the same shared function on the same numbers (the browser's
      // Math.exp and Math.log may differ from Node's in the last bit).
      const service = (cliScaled.results[i] as { scores: Record<string, number> }).scores;
      for (const c of cli.classes) expect(shownNow[i]![c], `${name} ${c} as mlw predict --calibrated`).toBeCloseTo(service[c]!, 14);
      const labels = cli.classes.filter((c) => byHand[i]![c]! >= 0.5);
      await expect(card(page, name).getByTestId('prediction-labels')).toHaveAttribute('data-labels', JSON.stringify(labels));
    }
  };
  const toggle = page.getByTestId('predict-temperature-toggle');
  await expect(page.getByTestId('predict-temperature')).toContainText(`Temperature scaling (T = ${temperature.toFixed(3)})`);
  await expect(page.getByTestId('gallery-outdated')).toHaveCount(0);
  await toggle.click();
  // At once: the network's own scores are scaled in the window.
  await expect(page.getByTestId('predict-temperature')).toHaveAttribute('data-temperature', String(temperature));
  // The gallery above was judged on the network's own scores: it says so, and how to judge it again.
  await expect(page.getByTestId('gallery-outdated')).toContainText(
    `judged at 0.50 on the network’s own scores; the workspace now judges dog at 0.50 on the scores scaled by T = ${temperature.toFixed(3)}`,
  );
  await expectScaledCards();
  // The Grad-CAM tiles' scores follow: the scaled prediction's, to float32 precision (computed unscaled, scaled here).
  for (const name of target) {
    const score = Number(await page.locator(`[data-testid="gradcam-tile"][data-class="${name}"]`).getAttribute('data-score'));
    const expected = scaledByHand(sentScores[name]!, temperature);
    expect(Math.abs(score - expected), `${name}: ${score} vs ${expected}`).toBeLessThan(1e-5);
  }
  await fullPageScreenshot(page, 'predict-temperature.png');
  // Scored again by the service with the temperature; off, those scaled scores cannot be unscaled here, so they wait for Predict.
  await page.getByTestId('predict-button').click();
  await toggle.click();
  await expect(page.locator('[data-testid="prediction-card"][data-state="rescore"]')).toHaveCount(shownAs.length);
  await expect(page.getByTestId('predict-rescore')).toContainText('press Predict again for the network’s own scores');
  await toggle.click();
  await expect(page.locator('[data-testid="prediction-card"][data-state="ok"]')).toHaveCount(shownAs.length);
  await expectScaledCards();
  // Kept across a reload with the temperature they carry, and the choice is the run's: Evaluate opens scaled too.
  await page.reload();
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('nav-predict').click();
  await expect(page.getByTestId('predict-temperature')).toHaveAttribute('data-temperature', String(temperature));
  await expect(page.locator('[data-testid="prediction-card"][data-state="ok"]')).toHaveCount(shownAs.length);
  await expectScaledCards();
  await page.getByTestId('nav-evaluate').click();
  await expect(page.getByTestId('calibration-panel')).toHaveAttribute('data-calibrated', 'true');
  await page.getByTestId('temperature-toggle').click();
  await expect(page.getByTestId('calibration-panel')).toHaveAttribute('data-calibrated', 'false');
  // Off in Evaluate is off in Predict: the network's own scores, from the service again.
  await page.getByTestId('nav-predict').click();
  await expect(page.getByTestId('predict-temperature')).toHaveAttribute('data-temperature', '');
  await expect(page.locator('[data-testid="prediction-card"][data-state="rescore"]')).toHaveCount(shownAs.length);
  await page.getByTestId('predict-button').click();
  await expect(page.locator('[data-testid="prediction-card"][data-state="ok"]')).toHaveCount(shownAs.length);
  expect(await shownCards(page, shownAs)).toEqual(own);

  // A photo cut short while copying: scored, with a warning that says so; refused once Settings say so.
  const damaged = join(scratch, 'cut-short.jpg');
  const whole = readFileSync(join(coco128.images, '000000000042.jpg'));
  writeFileSync(damaged, whole.subarray(0, Math.floor(whole.length * 0.6)));
  await page.getByTestId('predict-path').fill(damaged);
  await page.getByTestId('predict-add-path').click();
  await page.getByTestId('predict-button').click();
  await expect(card(page, damaged)).toHaveAttribute('data-state', 'ok');
  await expect(card(page, damaged).getByTestId('prediction-damaged')).toContainText('cut-short.jpg is damaged: the file ends early');
  await card(page, damaged).getByTestId('prediction-damaged').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'predict-damaged.png') });
  await page.getByTestId('preferences-button').click();
  await page.getByTestId('damaged-refuse').check();
  await expect(page.getByTestId('damaged-refuse')).toBeChecked();
  await page.getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('predict-button').click();
  await expect(card(page, damaged)).toHaveAttribute('data-state', 'error');
  await expect(card(page, damaged).getByTestId('prediction-error')).toContainText('cut-short.jpg is damaged');
  console.log(
    `Predict workspace end-to-end test took ${((Date.now() - started) / 1000).toFixed(1)} s (training ${((trained - started) / 1000).toFixed(1)} s).`,
  );
});

test('says what to do without a completed run', async ({ page }) => {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('nav-predict').click();
  await expect(page.getByTestId('predict-no-runs')).toContainText('Train one in the Train workspace');
});

test('the temperature switch is disabled, with the reason, for a run that has no temperature', async ({ page }) => {
  // A run whose settings were given: it chose none on held-out images, so it fitted no temperature.
  const db = openCache(app.dataDir);
  try {
    insertRunWithScores(db, {
      runId: 'run-given-settings',
      classes: ['dog', 'cat'],
      imageIds: [1],
      labels: [[1, 0]],
      scores: [[0.9, 0.2]],
    });
  } finally {
    db.close();
  }
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('nav-predict').click();
  await expect(page.getByTestId('workspace-predict').locator('[data-run-id="run-given-settings"]')).toBeAttached();
  await expect(page.getByTestId('predict-temperature-toggle').locator('input')).toBeDisabled();
  await expect(page.getByTestId('predict-temperature-unavailable')).toContainText('so it has no temperature');
  await page.getByTestId('predict-temperature').screenshot({ path: join(screenshots, 'predict-temperature-unavailable.png') });
});
