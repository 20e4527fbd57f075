// Drives Debian's chromium through the console as a merchant would: sign in, read the
// dashboard, switch to English and back, and save screenshots.
// Usage: SIYU_URL=http://127.0.0.1:PORT SIYU_LOGIN=… SIYU_PASSWORD=… SIYU_TENANT=… node console.mjs
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

const base = process.env.SIYU_URL;
const login = process.env.SIYU_LOGIN;
const password = process.env.SIYU_PASSWORD;
const tenant = process.env.SIYU_TENANT;
const shots = process.env.SIYU_SCREENSHOTS || 'target/screenshots';
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();

  await page.goto(`${base}/console`);
  assert.match(page.url(), /\/console\/login$/, 'unauthenticated visitors are sent to sign in');
  assert.equal(await page.locator('h1').innerText(), '登录商户后台');
  await page.screenshot({ path: `${shots}/login-zh.png`, fullPage: true });

  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('#login-form button[type=submit]');
  assert.equal(await page.locator('.error').innerText(), '账号或密码错误');

  await page.fill('input[name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`${base}/console`);
  assert.equal(await page.locator('#tenant-name').innerText(), tenant);
  assert.equal(await page.locator('#count-staff').innerText(), '1');
  assert.match(await page.locator('h1').innerText(), /欢迎回来/);
  await page.screenshot({ path: `${shots}/dashboard-zh.png`, fullPage: true });

  await page.click('#switch-lang');
  await page.waitForLoadState('load');
  assert.match(await page.locator('h1').innerText(), /Welcome back/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.screenshot({ path: `${shots}/dashboard-en.png`, fullPage: true });

  await page.click('nav >> text=Staff');
  await page.waitForURL(`${base}/console/staff`);
  assert.match(await page.locator('#staff-table').innerText(), new RegExp(login));
  await page.screenshot({ path: `${shots}/staff-en.png`, fullPage: true });

  await page.reload();
  assert.equal(await page.locator('h1').innerText(), 'Staff', 'the language is remembered');

  await page.click('#switch-lang');
  await page.waitForURL(`${base}/console/staff`);
  assert.equal(await page.locator('h1').innerText(), '员工');

  await page.click('#logout');
  await page.waitForURL(/\/console\/login$/);
  console.log('browser: console flow passed; screenshots in', shots);
} finally {
  await browser.close();
}
