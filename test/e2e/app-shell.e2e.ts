import { expect, test } from '@playwright/test';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, startServedApp, type ServedApp } from './serve-harness';

const screenshots = join(projectRoot, 'test-results');
let app: ServedApp;

test.beforeEach(async () => {
  mkdirSync(screenshots, { recursive: true });
  // A settings file cut off mid-write, as a full disk or a crash can leave it.
  app = await startServedApp({ prepare: (dataDir) => writeFileSync(join(dataDir, 'settings.json'), '{"selection": {"fileId": 3, "categ') });
});

test.afterEach(async () => {
  await app.stop();
});

test('tells the user once that a damaged settings file was set aside, and keeps their settings from then on', async ({ page }) => {
  await page.goto(app.url);
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('Your settings file was damaged');
  await expect(notice).toContainText('settings.json.bad');
  expect(existsSync(join(app.dataDir, 'settings.json.bad'))).toBe(true);
  await page.screenshot({ path: join(screenshots, 'app-settings-notice.png') });
  await notice.getByRole('button', { name: 'Close' }).click();
  await expect(notice).toHaveCount(0);

  // The Settings dialog saves a preference in the service; a reload shows it, and no notice again.
  await page.getByTestId('preferences-button').click();
  await expect(page.getByTestId('damaged-warn')).toBeChecked();
  await page.getByTestId('damaged-refuse').check();
  await page.getByRole('button', { name: 'Close' }).click();
  await page.reload();
  await expect(page.locator('body[data-app-state="loaded"]')).toBeAttached();
  await page.getByTestId('preferences-button').click();
  await expect(page.getByTestId('damaged-refuse')).toBeChecked();
  await expect(page.getByTestId('notice')).toHaveCount(0);
});
