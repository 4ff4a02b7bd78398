// "我的单位" and "经办人管理" in Debian's headless Chromium, on a desktop (1280x800) and a phone
// (390x844): the legal representative and an agent sign in through the normal login; every page has
// a sign-out link, fits the screen without sideways scrolling, labels its fields, shows the keyboard
// focus and keeps text readable (contrast). A grant with a bad ID number keeps what was typed and
// says what is wrong next to the field; revoking and giving up (放弃) an authorisation go through a
// confirmation page; English on request. Every page is photographed (ORGS_SHOTS, default
// /tmp/yitong-orgs-shots) for a look by a person.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { person, PASSWORD } from '../helpers/fixtures.ts';
import { addOrg } from '../../src/orgs/org-lifecycle.ts';
import { grantAuthorization, revokeAuthorization } from '../../src/orgs/authorizations.ts';
import { idCheckChar } from '../../src/identity/id-number.ts';
import { usccCheckChar } from '../../src/identity/uscc.ts';
import { launchChromium, skipBrowser, watchedPage, type WatchedPage } from './chromium.ts';

const SHOTS = process.env.ORGS_SHOTS ?? '/tmp/yitong-orgs-shots';
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800, n: 1 },
  { name: 'phone', width: 390, height: 844, n: 2 },
] as const;

const idNumber = (first17: string) => first17 + idCheckChar(first17);
const uscc = (first17: string) => first17 + usccCheckChar(first17);

/** The people and orgs of one viewport's run (each run has its own, so the runs do not meet). */
function cast(n: number) {
  const id = (k: number) => idNumber(`3101011990030${n}${String(k).padStart(2, '0')}`.padEnd(17, '1'));
  return {
    rep: { id: id(10), name: '李法人' },
    agent: { id: id(20), name: '欧阳经办' },
    colleague: { id: id(30), name: '王同事' },
    waiting: { id: id(40), name: '赵待定' },
    former: { id: id(50), name: '钱已撤' },
    newcomer: { id: id(60), name: '孙新人' },
    orgA: { uscc: uscc(`91350100MA000${n}00`.padEnd(17, '0')), name: '福州市鼓楼区一通信息技术服务有限公司' },
    orgB: { uscc: uscc(`91310115MA000${n}10`.padEnd(17, '0')), name: '上海浦东新区示例贸易有限公司' },
    orgC: { uscc: uscc(`91110108MA000${n}20`.padEnd(17, '0')), name: '北京海淀示例咨询有限公司' },
  };
}

// Checks run in the page (the project's TypeScript has no DOM types: plain script text).
const OVERFLOW = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';

/** Visible inputs without a label, and buttons or links without text. */
const UNLABELLED = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) if (!el.labels || !el.labels.length) out.push(el.outerHTML);
  for (const el of document.querySelectorAll('button, a')) if (!el.textContent.trim() && !el.getAttribute('aria-label')) out.push(el.outerHTML);
  return out;
})()`;

/** Text whose contrast against its background is below WCAG AA (4.5:1, large text 3:1). */
const LOW_CONTRAST = `(() => {
  const rgba = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
  const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c.a > 0.5) return c; }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden' || box.right < 0 || box.bottom < 0) continue;
    const fg = rgba(style.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    if (ratio < need) out.push(el.tagName + '.' + el.className + ' ' + ratio.toFixed(2) + ': ' + el.textContent.trim().slice(0, 40));
  }
  return out;
})()`;

/** The focused element: its name or class, whether it shows an outline, and whether it is on screen. */
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el), box = el.getBoundingClientRect();
  return { name: el.getAttribute('name'), cls: el.className, outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, onScreen: box.left >= 0 && box.top >= 0 && box.width > 0 };
})()`;

describe.skipIf(skipBrowser)('我的单位 and 经办人管理 in a real browser', () => {
  let s: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    s = await startTestServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.close();
  });

  async function open(viewport: { width: number; height: number }, locale = 'zh-CN'): Promise<WatchedPage> {
    const w = await watchedPage(browser, locale);
    contexts.push(w.context);
    await w.page.setViewportSize(viewport);
    return w;
  }

  async function login(page: Page, id: string) {
    await page.waitForSelector('input[name=identifier]');
    await page.fill('input[name=identifier]', id);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/login"] button[type=submit]')]);
  }

  const go = (page: Page, selector: string) => Promise.all([page.waitForNavigation(), page.click(selector)]);

  /** Photographs the page and checks what every /orgs page owes its reader. */
  async function check(page: Page, viewport: string, name: string) {
    await page.screenshot({ path: path.join(SHOTS, `${viewport}-${name}.png`), fullPage: true });
    expect(Number(await page.evaluate(OVERFLOW)), `${name} scrolls sideways`).toBeLessThanOrEqual(0);
    expect(await page.evaluate(UNLABELLED), `${name}: unlabelled controls`).toEqual([]);
    expect(await page.evaluate(LOW_CONTRAST), `${name}: low contrast`).toEqual([]);
    // a sign-out link on every page, visible without scrolling sideways
    const signOut = page.locator('a.signout');
    expect(await signOut.count(), `${name}: sign-out link`).toBe(1);
    expect(await signOut.isVisible()).toBe(true);
    expect(await signOut.getAttribute('href')).toBe('/session/end');
    const box = (await signOut.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  }

  for (const v of VIEWPORTS) {
    it(`works for the representative and the agent on the ${v.name} (${v.width}x${v.height})`, async () => {
      const c = cast(v.n);
      for (const p of [c.rep, c.agent, c.colleague, c.waiting, c.former, c.newcomer]) await person(s, { idNumber: p.id, name: p.name, phone: null, email: null });
      await addOrg(s.app, { uscc: c.orgA.uscc, name: c.orgA.name, legalRepIdNumber: c.rep.id }, 'test');
      await addOrg(s.app, { uscc: c.orgB.uscc, name: c.orgB.name, legalRepIdNumber: c.rep.id }, 'test');
      await addOrg(s.app, { uscc: c.orgC.uscc, name: c.orgC.name, legalRepIdNumber: c.colleague.id }, 'test');
      const admin = { actor: 'test', activate: true };
      const agentA = (await grantAuthorization(s.app, { uscc: c.orgA.uscc, agentIdNumber: c.agent.id }, admin)).authorization.id;
      const colleagueA = (await grantAuthorization(s.app, { uscc: c.orgA.uscc, agentIdNumber: c.colleague.id }, admin)).authorization.id;
      await grantAuthorization(s.app, { uscc: c.orgA.uscc, agentIdNumber: c.waiting.id }, { actor: 'test', activate: false });
      await grantAuthorization(s.app, { uscc: c.orgA.uscc, agentIdNumber: c.former.id }, admin);
      await revokeAuthorization(s.app, { uscc: c.orgA.uscc, agentIdNumber: c.former.id }, { actor: 'test' });
      await grantAuthorization(s.app, { uscc: c.orgB.uscc, agentIdNumber: c.agent.id }, { actor: 'test', activate: false });
      await grantAuthorization(s.app, { uscc: c.orgC.uscc, agentIdNumber: c.agent.id }, admin);
      await revokeAuthorization(s.app, { uscc: c.orgC.uscc, agentIdNumber: c.agent.id }, { actor: 'test' });

      // ---- the legal representative -------------------------------------------------------
      const rep = await open(v);
      await rep.page.goto(`${s.issuer}/orgs`);
      await login(rep.page, c.rep.id);
      expect(rep.page.url()).toBe(`${s.issuer}/orgs`);
      expect(await rep.page.textContent('h1')).toBe('我的单位');
      expect(await rep.page.locator(`.org[data-uscc="${c.orgA.uscc}"]`).textContent()).toContain('法定代表人');
      await check(rep.page, v.name, '01-rep-home');
      // the keyboard: the first Tab lands on a visible, outlined skip link
      await rep.page.keyboard.press('Tab');
      expect(await rep.page.evaluate(FOCUSED)).toMatchObject({ outline: true, onScreen: true });

      await go(rep.page, `.org[data-uscc="${c.orgA.uscc}"] a[href="/orgs/${c.orgA.uscc}/agents"]`);
      expect(await rep.page.textContent('h1')).toBe('经办人管理');
      expect(await rep.page.locator('.agent').count()).toBe(4);
      expect(await rep.page.locator('.agent[data-status=revoked] a.revoke').count()).toBe(0);
      await check(rep.page, v.name, '02-agents');

      // a bad ID number: everything typed stays, the error sits at the field, the cursor is there
      const until = `${new Date().getFullYear() + 1}-12-31`;
      const typo = c.newcomer.id.slice(0, 17) + (c.newcomer.id[17] === '0' ? '1' : '0');
      await rep.page.fill('input[name=id_number]', typo);
      await rep.page.fill('input[name=name]', c.newcomer.name);
      await rep.page.fill('input[name=until]', until);
      await go(rep.page, 'button[name=grant]');
      expect(await rep.page.inputValue('input[name=id_number]')).toBe(typo);
      expect(await rep.page.inputValue('input[name=name]')).toBe(c.newcomer.name);
      expect(await rep.page.inputValue('input[name=until]')).toBe(until);
      expect(await rep.page.textContent('#id_number-error')).toContain('身份证号码校验位不正确');
      expect(await rep.page.getAttribute('input[name=id_number]', 'aria-invalid')).toBe('true');
      expect(await rep.page.getAttribute('input[name=id_number]', 'aria-describedby')).toContain('id_number-error');
      expect(await rep.page.evaluate(FOCUSED)).toMatchObject({ name: 'id_number' });
      await check(rep.page, v.name, '03-grant-error');
      await rep.page.fill('input[name=id_number]', c.newcomer.id);
      await go(rep.page, 'button[name=grant]');
      expect(await rep.page.textContent('p.notice')).toContain('待经办人接受');
      expect(await rep.page.inputValue('input[name=id_number]')).toBe('');

      // revoking asks first; going back changes nothing
      await go(rep.page, `.agent[data-id="${colleagueA}"] a.revoke`);
      expect(await rep.page.textContent('h1')).toBe('确认撤销授权');
      expect(await rep.page.textContent('main')).toContain(c.colleague.name);
      expect(await rep.page.textContent('main')).toContain(c.orgA.name);
      await check(rep.page, v.name, '04-confirm-revoke');
      await go(rep.page, 'a.back');
      expect(await rep.page.locator(`.agent[data-id="${colleagueA}"][data-status=active]`).count()).toBe(1);
      await go(rep.page, `.agent[data-id="${colleagueA}"] a.revoke`);
      await go(rep.page, 'button[name=confirm][value=yes]');
      expect(await rep.page.textContent('p.notice')).toContain('已撤销授权');
      expect(await rep.page.locator(`.agent[data-id="${colleagueA}"][data-status=revoked]`).count()).toBe(1);
      await check(rep.page, v.name, '05-agents-revoked');

      // ---- the agent ---------------------------------------------------------------------
      const agent = await open(v);
      await agent.page.goto(`${s.issuer}/orgs`);
      await login(agent.page, c.agent.id);
      expect(await agent.page.textContent(`.org[data-uscc="${c.orgA.uscc}"]`)).toContain('经办人');
      expect(await agent.page.locator(`.pending[data-uscc="${c.orgB.uscc}"] button[value=accept]`).count()).toBe(1);
      expect(await agent.page.textContent(`.ended[data-uscc="${c.orgC.uscc}"]`)).toContain('授权已被撤销');
      await check(agent.page, v.name, '06-agent-home');

      // giving up asks first, then the org is gone from what the agent can act for
      await go(agent.page, `.org[data-uscc="${c.orgA.uscc}"] a.relinquish`);
      expect(await agent.page.textContent('h1')).toBe('确认放弃授权');
      expect(await agent.page.textContent('main')).toContain(c.orgA.name);
      await check(agent.page, v.name, '07-confirm-relinquish');
      await go(agent.page, 'button[name=confirm][value=yes]');
      expect(await agent.page.textContent('p.notice')).toContain('已放弃授权');
      expect(await agent.page.locator(`.org[data-uscc="${c.orgA.uscc}"]`).count()).toBe(0);
      expect(await agent.page.textContent(`.ended[data-uscc="${c.orgA.uscc}"]`)).toContain('您已放弃该授权');
      const row = await s.app.db.selectFrom('org_authorizations').select(['status', 'ended_at']).where('id', '=', agentA).executeTakeFirstOrThrow();
      expect(row.status).toBe('relinquished');
      await go(agent.page, `.pending[data-uscc="${c.orgB.uscc}"] button[value=accept]`);
      expect(await agent.page.textContent('p.notice')).toContain('已接受授权');
      await check(agent.page, v.name, '08-agent-after');

      // English on request, and the sign-out link leads to the logout confirmation
      await go(agent.page, 'header a.lang');
      expect(await agent.page.textContent('h1')).toBe('My organisations');
      expect(await agent.page.textContent('a.signout')).toBe('Sign out');
      await check(agent.page, v.name, '09-agent-home-en');
      await go(agent.page, `.org[data-uscc="${c.orgB.uscc}"] a.relinquish`);
      expect(await agent.page.textContent('h1')).toBe('Give up this authorisation?');
      await check(agent.page, v.name, '10-confirm-relinquish-en');
      await go(agent.page, 'a.signout');
      expect(await agent.page.locator('button[name=logout][value=yes]').first().isVisible()).toBe(true);

      // the bad grant answers 400 on purpose; nothing else failed and no script was refused
      const unexpected = (w: WatchedPage) => w.problems.filter((p) => !/^HTTP 400 POST .*\/orgs\/[0-9A-Z]+\/agents$/.test(p));
      expect(unexpected(rep)).toEqual([]);
      expect(unexpected(agent)).toEqual([]);
    });
  }
});
