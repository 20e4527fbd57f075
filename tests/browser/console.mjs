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

  // Another channel's customers: upload a Taobao export, then find one customer by phone.
  await page.goto(`${base}/console/imports`);
  await page.selectOption('#import-preset', 'taobao-orders');
  await page.setInputFiles('#import-file', process.env.SIYU_IMPORT_FILE);
  await page.uncheck('#import-dry');
  await page.click('#import-go');
  await page.waitForSelector('#import-summary');
  assert.equal(await page.locator('#import-count').innerText(), '14');
  assert.match(await page.locator('#import-errors').innerText(), /11/);
  await page.screenshot({ path: `${shots}/import-zh.png`, fullPage: true });

  await page.goto(`${base}/console/fans?q=13956781234`);
  await page.click('#fans-table a');
  await page.waitForSelector('#identities');
  assert.match(await page.locator('#identities').innerText(), /tb_lixiaoyu/);
  assert.match(await page.locator('#identities').innerText(), /\+8613956781234/);
  await page.fill('#tag-form input[name=add]', '连衣裙');
  await page.click('#tag-form button');
  await page.waitForSelector('#tags >> text=连衣裙');

  const profile = page.url();

  // Segments: the count follows the query as it is typed; a broken query shows where.
  await page.goto(`${base}/console/segments`);
  await page.fill('#segment-form input[name=name]', '连衣裙买家');
  await page.locator('#segment-query').pressSequentially('tag("连衣裙") and has(taobao)', { delay: 20 });
  await page.waitForSelector('#segment-count');
  await page.waitForFunction(() => document.querySelector('#segment-count')?.innerText === '1');
  await page.locator('#segment-query').pressSequentially(' and (', { delay: 20 });
  await page.waitForSelector('#segment-error');
  assert.match(await page.locator('#segment-live').innerText(), /第 \d+ 个字符处/);
  for (let i = 0; i < 6; i++) await page.locator('#segment-query').press('Backspace');
  await page.waitForSelector('#segment-count');
  await page.screenshot({ path: `${shots}/segments-zh.png`, fullPage: true });
  await page.click('#segment-form button[type=submit]');
  await page.waitForSelector('#segments-table >> text=连衣裙买家');
  assert.equal(await page.locator('#segments-table .segment-row-count').first().innerText(), '1');

  // Membership: set up the program, issue the card, open its page as the customer's phone would.
  await page.goto(`${base}/console/membership`);
  await page.fill('#program-form input[name=name]', '小满会员卡');
  await page.click('#program-form button[type=submit]');
  await page.waitForSelector('#program-saved');
  await page.goto(profile);
  await page.click('#issue-card');
  await page.waitForSelector('#profile-card >> text=小满会员卡');
  await page.screenshot({ path: `${shots}/profile-zh.png`, fullPage: true });
  const h5 = await page.locator('#profile-card a[href^="/h5/card/"]').getAttribute('href');
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await phone.goto(`${base}${h5}`);
  assert.equal(await phone.locator('#h5-points').innerText(), '0');
  assert.ok(await phone.locator('.qr svg').isVisible());
  await phone.screenshot({ path: `${shots}/h5-card-zh.png`, fullPage: true });
  await phone.close();

  // A voucher for the customer: their phone shows its QR; the clerk scans it with the camera
  // (a canvas stream painted with that QR stands in for the camera).
  const api = async (path, body) => {
    const r = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${process.env.SIYU_API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const customer = profile.split('/').pop();
  const tpl = await api('/api/v1/vouchers/templates', { name: '满30减5', kind: 'amount_off', amount_fen: 500, min_spend_fen: 3000, stock: 10 });
  const voucher = await api('/api/v1/vouchers', { template_id: tpl.id, customer_id: customer });
  const mobile = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await mobile.goto(`${base}/h5/voucher/${voucher.code}`);
  assert.match(await mobile.locator('#voucher-worth').innerText(), /满 ¥30.00 可用，立减 ¥5.00/);
  const svg = await mobile.locator('#voucher-qr').innerHTML();
  await mobile.screenshot({ path: `${shots}/h5-voucher-zh.png`, fullPage: true });
  await page.goto(`${base}/console/redeem`);
  await page.fill('#redeem-form input[name=store]', '淮河路店');
  await page.evaluate(async (markup) => {
    const img = new Image();
    img.src = 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(markup)));
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = 480; canvas.height = 480;
    const g = canvas.getContext('2d');
    const paint = () => { g.fillStyle = '#fff'; g.fillRect(0, 0, 480, 480); g.drawImage(img, 40, 40, 400, 400); };
    paint();
    setInterval(paint, 100);
    const stream = canvas.captureStream(10);
    navigator.mediaDevices.getUserMedia = async () => stream;
  }, svg);
  await page.click('#scan-voucher');
  await page.waitForSelector('#redeem-ok', { timeout: 15000 });
  assert.match(await page.locator('#redeem-ok').innerText(), /满30减5/);
  await page.screenshot({ path: `${shots}/redeem-zh.png`, fullPage: true });
  await mobile.reload();
  assert.match(await mobile.locator('#voucher-used').innerText(), /已使用.*淮河路店/);
  await mobile.close();

  await page.click('#logout');
  await page.waitForURL(/\/console\/login$/);
  console.log('browser: console flow passed; screenshots in', shots);
} finally {
  await browser.close();
}
