// The footer (issue 8, item 20): read from FOOTER_* in the environment, checked at start, and
// rendered by both layouts (the core's and the self-service pages'); items left unset are left out.
import { describe, expect, it } from 'vitest';
import type { Context } from 'koa';
import { loadConfig, ConfigError, type FooterConfig } from '../../src/config/env.ts';
import { pageSettings, renderPage } from '../../src/http/views.ts';

const FULL = {
  FOOTER_OPERATOR: '某某市政务服务数据管理局',
  FOOTER_ICP: '闽ICP备12345678号-1',
  FOOTER_HOTLINE: '0591-12345',
  FOOTER_PRIVACY_URL: '/privacy',
};

const MSG = { heading: '出错了', message: '页面已过期' };

/** Renders a page the way a request does: inside the server's page settings. */
async function render(footer: FooterConfig, view: string, data: Record<string, unknown>, locale: 'zh-CN' | 'en' = 'zh-CN') {
  let html = '';
  await pageSettings({ footer })({} as Context, async () => {
    html = renderPage(view, locale, data);
  });
  return html;
}

describe('footer configuration', () => {
  it('reads FOOTER_* (unset is null)', () => {
    expect(loadConfig({}).footer).toEqual({ operator: null, icp: null, hotline: null, privacyUrl: null });
    expect(loadConfig(FULL).footer).toEqual({ operator: '某某市政务服务数据管理局', icp: '闽ICP备12345678号-1', hotline: '0591-12345', privacyUrl: '/privacy' });
    expect(loadConfig({ FOOTER_PRIVACY_URL: 'https://www.example.gov.cn/privacy.html' }).footer.privacyUrl).toBe('https://www.example.gov.cn/privacy.html');
  });

  it('refuses a privacy link that is not http(s) or a local path, and a hotline that is not a number', () => {
    for (const bad of ['javascript:alert(1)', 'privacy.html', '//evil.example/x', 'ftp://x.example/p']) {
      expect(() => loadConfig({ FOOTER_PRIVACY_URL: bad }), bad).toThrow(ConfigError);
    }
    expect(() => loadConfig({ FOOTER_HOTLINE: 'call us' })).toThrow(ConfigError);
  });
});

describe('footer rendering', () => {
  const footer = loadConfig(FULL).footer;

  it('appears on the core layout in zh-CN and en', async () => {
    const zh = await render(footer, 'message', MSG);
    expect(zh).toMatch(/<footer class="site">[\s\S]*主办单位：某某市政务服务数据管理局[\s\S]*<\/footer>/);
    expect(zh).toContain('服务热线：<a href="tel:059112345">0591-12345</a>');
    expect(zh).toContain('<a href="/privacy">个人信息保护政策</a>');
    expect(zh).toContain('<a href="https://beian.miit.gov.cn/" rel="noopener noreferrer">闽ICP备12345678号-1</a>');
    const en = await render(footer, 'message', MSG, 'en');
    expect(en).toContain('Operated by: 某某市政务服务数据管理局');
    expect(en).toContain('Hotline: <a href="tel:059112345">0591-12345</a>');
    expect(en).toContain('<a href="/privacy">Privacy notice</a>');
  });

  it('appears on the self-service layout', async () => {
    const html = await render(footer, 'orgs-home', { usable: [], pending: [], ended: [], personName: '张*', csrf: 'x' });
    expect(html).toContain('<link rel="stylesheet" href="/assets/orgs.css">');
    expect(html).toContain('主办单位：某某市政务服务数据管理局');
    expect(html).toContain('闽ICP备12345678号-1');
  });

  it('leaves unset items out', async () => {
    const html = await render(loadConfig({ FOOTER_ICP: '闽ICP备12345678号-1' }).footer, 'message', MSG);
    expect(html).toContain('闽ICP备12345678号-1');
    expect(html).not.toContain('主办单位');
    expect(html).not.toContain('tel:');
    expect(html).not.toContain('个人信息保护政策');
  });

  it('escapes what the environment says', async () => {
    const html = await render(loadConfig({ FOOTER_OPERATOR: '<script>x</script>' }).footer, 'message', MSG);
    expect(html).not.toContain('<script>x');
    expect(html).toContain('&lt;script&gt;');
  });
});
