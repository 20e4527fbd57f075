// Walks through `siyu demo` in Debian's chromium as a merchant would: fans, a fan's
// conversation, the Official Account page, the menu editor and the auto-reply try box (htmx).
// Usage: SIYU_URL=… SIYU_PASSWORD=… node demo.mjs
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

const base = process.env.SIYU_URL;
const shots = process.env.SIYU_SCREENSHOTS || 'target/screenshots';
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${base}/console/login`);
  await page.fill('input[name=login]', 'demo');
  await page.fill('input[name=password]', process.env.SIYU_PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`${base}/console`);
  assert.ok(Number(await page.locator('#count-fans').innerText()) > 100, 'demo fans are counted');
  await page.screenshot({ path: `${shots}/demo-dashboard.png`, fullPage: true });

  await page.click('nav >> text=粉丝');
  await page.waitForURL(`${base}/console/fans`);
  const rows = await page.locator('#fans-table tbody tr').count();
  assert.ok(rows > 20, `fans listed (${rows})`);
  await page.screenshot({ path: `${shots}/demo-fans.png`, fullPage: true });

  // The most recently active simulated fan has a conversation.
  await page.goto(`${base}/console/fans`);
  const links = page.locator('#fans-table tbody tr td a');
  let found = false;
  for (let i = 0; i < await links.count() && !found; i++) {
    await links.nth(i).click();
    await page.waitForLoadState('load');
    if (await page.locator('#conversation tbody tr').count() > 1) { found = true; break; }
    await page.goBack();
  }
  assert.ok(found, 'a fan with a conversation');
  assert.match(await page.locator('#conversation').innerText(), /event:subscribe/);
  await page.screenshot({ path: `${shots}/demo-fan.png`, fullPage: true });

  await page.goto(`${base}/console/wechat`);
  assert.match(await page.locator('.callback-url').first().innerText(), /\/wechat\/wa_/);
  await page.screenshot({ path: `${shots}/demo-wechat.png`, fullPage: true });

  await page.click('text=编辑菜单');
  await page.waitForLoadState('load');
  assert.equal(await page.inputValue('input[name=b0_name]'), '今日推荐');
  await page.screenshot({ path: `${shots}/demo-menu.png`, fullPage: true });

  await page.goto(`${base}/console/wechat`);
  await page.click('text=自动回复');
  await page.waitForLoadState('load');
  await page.fill('input[name=text]', '请问会员有什么优惠？');
  await page.click('text=测试');
  await page.waitForSelector('#try-answer');
  assert.match(await page.locator('#try-answer').innerText(), /知识库答案 · member .*会员卡/);
  await page.screenshot({ path: `${shots}/demo-replies.png`, fullPage: true });
  await page.click('nav >> text=渠道二维码');
  await page.waitForURL(`${base}/console/channels`);
  await page.waitForSelector('#channels-chart canvas');
  assert.equal(await page.locator('#channels-table tbody tr').count(), 4, 'the demo channels');
  await page.screenshot({ path: `${shots}/demo-channels.png`, fullPage: true });
  await page.click('#channels-table >> text=秋季海报');
  await page.waitForLoadState('load');
  assert.ok(Number(await page.locator('#stat-follows').innerText()) > 0, 'the poster brought fans');
  assert.ok(await page.locator('#channel-qr').evaluate((img) => img.naturalWidth > 0), 'the QR image loads');
  await page.screenshot({ path: `${shots}/demo-channel.png`, fullPage: true });

  // The associate's own page: a personal code, and the fans it brings.
  await page.goto(`${base}/console/me`);
  await page.click('#make-my-qr');
  await page.waitForSelector('img.my-qr');
  assert.ok(await page.locator('img.my-qr').evaluate((img) => img.complete && img.naturalWidth > 0), 'my QR loads');
  assert.equal(await page.locator('.my-follows').innerText(), '0');
  await page.screenshot({ path: `${shots}/demo-me.png`, fullPage: true });

  // The demo's saved segments, counted.
  await page.click('nav >> text=人群分组');
  await page.waitForURL(`${base}/console/segments`);
  assert.equal(await page.locator('#segments-table tbody tr').count(), 3);
  const counts = await page.locator('#segments-table .segment-row-count').allInnerTexts();
  assert.ok(counts.every((c) => /^\d+$/.test(c)) && counts.some((c) => Number(c) > 0), `segment counts ${counts}`);
  await page.screenshot({ path: `${shots}/demo-segments.png`, fullPage: true });
  console.log('browser: demo walkthrough passed; screenshots in', shots);
} finally {
  await browser.close();
}
