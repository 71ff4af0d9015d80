import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { benchDataDir, ensureSyntheticCoco, type EnsureResult } from '../../bench/generate-coco';
import { referenceExampleCategories } from '../../src/shared/domain/presets';
import { projectRoot, startServedApp, type ServedApp } from './serve-harness';

/**
 * The Dataset workspace on a file of train2017's size (118,287 images, 860,001 annotations, 80
 * categories; triangles for polygons, so it generates in seconds): import it through the page, point
 * it at a folder with a few of its images, select all 80 classes, then time selection changes from
 * the click to the moment the new numbers and both redrawn charts are on screen.
 */

interface Stats {
  images: number;
  perClass: Record<string, number>;
  labelsPerImage: { histogram: Record<string, number>; mean: number };
}

/** train2017's images with at least one annotation (118,287 less 1,021 without any). */
const annotatedImages = 117_266;
/** Median of a selection change's time, and the most any one may take on a busy CI machine. */
const medianLimitMs = 200;
const ceilingMs = 1_000;

const screenshots = join(projectRoot, 'test-results');
let synthetic: EnsureResult;
let app: ServedApp;
let scratch: string;

// Playwright's trace takes a DOM snapshot of the page around every click, on the page's own thread,
// inside the time measured here (tens of milliseconds at 80 classes): the app is timed without it.
test.use({ trace: 'off' });

test.beforeAll(() => {
  mkdirSync(screenshots, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'mlw-e2e-scale-'));
  // About 6 s the first time on a 2-core machine; kept in .bench/ afterwards.
  synthetic = ensureSyntheticCoco({ shape: { scale: 1, polygons: 'minimal', separators: 'python' }, log: (line) => console.log(line) });
});

test.afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test.beforeEach(async () => {
  // The generated file stays in .bench/, inside the project: the server is told it may read there.
  app = await startServedApp({ roots: [benchDataDir] });
});

test.afterEach(async () => {
  await app.stop();
});

/** How long a selection change took, in milliseconds, from the click and from the pointer going down. */
interface ChangeTime {
  /** From the click event (its timeStamp: when the button was released, input delay included), as INP counts. */
  fromClick: number;
  /** From the pointer going down: adds the test driver's gap between pressing and releasing the button. */
  fromPress: number;
}

/**
 * Clicks, and resolves with the time to the first frame that shows `expected`: the headline numbers,
 * and both charts redrawn (the class chart's rows of names and counts, and the histogram's counts over
 * its bars), not just their data attributes.
 */
async function timeChange(page: Page, click: () => Promise<void>, expected: Stats): Promise<ChangeTime> {
  await page.evaluate((expected) => {
    const sorted = (values: Iterable<string | number>): string => JSON.stringify([...values].map(String).sort());
    const texts = (root: Element, selector: string): string[] =>
      [...root.querySelectorAll(selector)].map((node) => (node.textContent ?? '').replace(/,/g, ''));
    const shown = (): boolean => {
      const images = document.querySelector('[data-testid="subset-images"]');
      const mean = document.querySelector('[data-testid="labels-mean"]');
      const chart = document.querySelector('[data-testid="class-balance-chart"]');
      const histogram = document.querySelector('[data-testid="labels-histogram"]');
      if (images === null || mean === null || chart === null || histogram === null) return false;
      if (images.getAttribute('data-value') !== String(expected.images)) return false;
      if (mean.textContent !== expected.labelsPerImage.mean.toFixed(4)) return false;
      const classes = Object.keys(expected.perClass);
      return (
        sorted(texts(chart, '[data-class-name]')) === sorted(classes) &&
        sorted(texts(chart, '[data-count]')) === sorted(Object.values(expected.perClass)) &&
        sorted(texts(histogram, '[data-count]')) === sorted(Object.values(expected.labelsPerImage.histogram))
      );
    };
    const w = window as unknown as { selectionChange: Promise<{ fromClick: number; fromPress: number }> };
    w.selectionChange = new Promise((resolve) => {
      let pressed: number | null = null;
      let clicked: number | null = null;
      const observer = new MutationObserver(() => check());
      const check = (): void => {
        if (pressed === null || clicked === null || !shown()) return;
        observer.disconnect();
        const [press, click] = [pressed, clicked];
        // The frame that paints this state.
        requestAnimationFrame(() => {
          const now = performance.now();
          resolve({ fromClick: now - click, fromPress: now - press });
        });
      };
      document.addEventListener('pointerdown', (event) => (pressed = event.timeStamp), { capture: true, once: true });
      document.addEventListener(
        'click',
        (event) => {
          clicked = event.timeStamp;
          check();
        },
        { capture: true, once: true },
      );
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
  }, expected);
  await click();
  return page.evaluate(() => (window as unknown as { selectionChange: Promise<ChangeTime> }).selectionChange);
}

function describeTimes(times: readonly ChangeTime[]): string {
  const clicks = times.map((t) => t.fromClick);
  const presses = times.map((t) => t.fromPress);
  return (
    `from the click ${clicks.map((t) => t.toFixed(0)).join(', ')} (median ${median(clicks).toFixed(0)}, slowest ${Math.max(...clicks).toFixed(0)}); ` +
    `from the press ${presses.map((t) => t.toFixed(0)).join(', ')} (median ${median(presses).toFixed(0)})`
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

test('at train2017 scale, every selection change shows new charts and numbers within 200 ms', async ({ page }) => {
  test.setTimeout(240_000);
  const images = join(scratch, 'train2017');
  mkdirSync(images);
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('import-annotation-path').fill(synthetic.path);
  await page.getByTestId('import-images-dir').fill(images);
  await page.getByTestId('import-annotation-path').blur();
  await page.getByTestId('import-button').click();
  await expect(page.getByTestId('import-result')).toBeVisible({ timeout: 120_000 });

  // An empty images folder is named as such.
  const missing = page.getByTestId('missing-images');
  await expect(missing).toHaveAttribute('data-folder-state', 'empty');
  await expect(page.getByTestId('missing-images-message')).toContainText(`${images} is empty`);

  // Copy a few of the subset's images in, then ask to check again: they are found, the rest are not.
  const tiles = page.getByTestId('image-tile');
  await expect(tiles.nth(5)).toBeAttached();
  const present = await tiles.evaluateAll((nodes) => nodes.slice(0, 6).map((node) => node.getAttribute('data-file-name') ?? ''));
  for (const name of present) {
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7' } })
      .jpeg()
      .toFile(join(images, name));
  }
  const checked = Number(await missing.getAttribute('data-checked'));
  await page.getByTestId('missing-images-recheck').click();
  await expect(missing).toHaveAttribute('data-missing', String(checked - present.length));
  await expect(missing).toHaveAttribute('data-folder-state', 'missing');
  await expect(page.locator(`[data-testid="image-tile"][data-file-name="${present[0]}"] img`)).toBeVisible();
  // From now on the folder's listing is trusted until the folder changes.
  const old = new Date(Date.now() - 60_000);
  utimesSync(images, old, old);

  // All 80 classes: the numbers train2017 is known to have.
  await page.getByTestId('select-all-categories-button').click();
  await expect(page.getByTestId('selected-count')).toHaveText('80 of 80 categories selected');
  await expect(page.getByTestId('subset-images')).toHaveAttribute('data-value', String(annotatedImages));
  // The generator records the mean number of distinct categories per annotated image, to 3 places.
  expect(Number(await page.getByTestId('labels-mean').textContent())).toBeCloseTo(synthetic.meta.meanLabelsPerImage, 3);
  const chart = page.getByTestId('class-balance-chart');
  await expect(chart.locator('[data-bar]')).toHaveCount(80);
  const all = JSON.parse((await chart.getAttribute('data-values')) ?? '{}') as Record<string, number>;
  expect(Object.keys(all)).toHaveLength(80);
  // Each class's count is its number of images, as the generator placed them.
  expect(all).toEqual(synthetic.meta.imagesPerCategory);
  // Sorted by count, person first; every name is a tick label.
  expect(JSON.parse((await chart.getAttribute('data-order')) ?? '[]')[0]).toBe('person');
  await expect(chart.locator('[data-class-name]')).toHaveCount(80);
  await expect(missing).toHaveAttribute('data-missing', String(annotatedImages - present.length));

  // Expected numbers for each selection, from `mlw stats` on the same cache, before any timing.
  const allNames = Object.keys(all);
  const toggled = ['person', 'dog', 'car', 'chair', 'toaster'];
  const expected = new Map<string, Stats>();
  const statsOf = (names: readonly string[]): Stats => {
    const key = JSON.stringify(names);
    if (!expected.has(key)) {
      expected.set(key, app.mlwJson<Stats>('stats', '--annotations', synthetic.path, '--categories', names.join(',')));
    }
    return expected.get(key)!;
  };
  for (const name of toggled) statsOf(allNames.filter((n) => n !== name));
  // The service's figures for all 80 are the generator's, so its figures for the others can be the reference.
  const base = statsOf(allNames);
  expect(base.images).toBe(synthetic.meta.annotatedImages);
  expect(base.perClass).toEqual(synthetic.meta.imagesPerCategory);
  expect(base.labelsPerImage.mean).toBeCloseTo(synthetic.meta.meanLabelsPerImage, 3);

  await page.getByTestId('category-input').click();
  const times80: ChangeTime[] = [];
  let selection = [...allNames];
  for (const name of toggled) {
    const option = page.getByTestId(`category-option-${name}`);
    const without = selection.filter((n) => n !== name);
    times80.push(await timeChange(page, () => option.click(), statsOf(without)));
    selection = [...without, name];
    times80.push(await timeChange(page, () => option.click(), statsOf(selection)));
  }
  await page.keyboard.press('Escape');
  console.log(`Selection changes at 80 classes, ms to the frame showing the new charts and numbers: ${describeTimes(times80)}`);
  await page.screenshot({ path: join(screenshots, 'dataset-scale-80-categories.png'), fullPage: true });
  // Eleven bars side by side: their counts shrink to fit and stay apart.
  const counts = await page
    .getByTestId('labels-histogram')
    .locator('[data-count]')
    .evaluateAll((nodes) =>
      nodes.map((node) => {
        const box = node.getBoundingClientRect();
        return { text: node.textContent, left: box.left, right: box.right };
      }),
    );
  expect(counts.length).toBeGreaterThan(10);
  for (let i = 1; i < counts.length; i++) {
    expect(counts[i]!.left, `${counts[i - 1]!.text} and ${counts[i]!.text}`).toBeGreaterThanOrEqual(counts[i - 1]!.right);
  }

  // The same at the reference example's 12 classes.
  await page.getByTestId('reference-example-button').click();
  const twelve = [...referenceExampleCategories];
  await expect(page.getByTestId('subset-images')).toHaveAttribute('data-value', String(statsOf(twelve).images));
  await page.getByTestId('category-input').click();
  const times12: ChangeTime[] = [];
  for (const name of ['dog', 'giraffe']) {
    const option = page.getByTestId(`category-option-${name}`);
    const without = twelve.filter((n) => n !== name);
    times12.push(await timeChange(page, () => option.click(), statsOf(without)));
    times12.push(await timeChange(page, () => option.click(), statsOf([...without, name])));
  }
  await page.keyboard.press('Escape');
  console.log(`Selection changes at 12 classes: ${describeTimes(times12)}`);

  for (const times of [times80, times12]) {
    expect(median(times.map((t) => t.fromClick))).toBeLessThan(medianLimitMs);
    expect(Math.max(...times.map((t) => t.fromClick))).toBeLessThan(ceilingMs);
  }

  // The whole missing list, not just the 200 shown: one name per line.
  await page.getByTestId('select-all-categories-button').click();
  await expect(missing).toHaveAttribute('data-missing', String(annotatedImages - present.length));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('missing-images-save').click()]);
  expect(download.suggestedFilename()).toBe('instances_synthetic_1_minimal_python-missing-images.txt');
  const saved = join(scratch, 'missing.txt');
  await download.saveAs(saved);
  const lines = readFileSync(saved, 'utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(annotatedImages - present.length);
  expect(lines.filter((line) => present.includes(line))).toEqual([]);
  expect(lines.every((line) => /^\d{12}\.jpg$/.test(line))).toBe(true);
  await page.screenshot({ path: join(screenshots, 'dataset-scale-missing-images.png') });
});
