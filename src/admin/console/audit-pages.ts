// The console's audit log pages: records by filter (checked with audit.verify on request), and
// the same filter as a CSV download.
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Context } from 'koa';
import { csvLines } from '../api/router.ts';
import { json, qs, type ConsolePages } from './console-page.ts';

const auditFilters = (ctx: Context) => {
  const f: Record<string, string> = {};
  for (const k of ['event', 'outcome', 'actor', 'target', 'since', 'until']) if (qs(ctx, k)) f[k] = qs(ctx, k);
  return f;
};

export function auditRoutes(pages: ConsolePages, router: Router) {
  const { render, signedIn, run } = pages;

  router.get('/audit', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const filters = auditFilters(ctx);
    const out = await run(ctx, p, 'audit.list', { query: { ...filters, limit: '100', ...(qs(ctx, 'cursor') ? { cursor: qs(ctx, 'cursor') } : {}) } });
    if (!out) return;
    let verified: unknown = null;
    if (qs(ctx, 'verify') === '1') {
      const v = await run(ctx, p, 'audit.verify', {});
      if (!v) return;
      verified = json(v);
    }
    const records = (json(out).items as { detail: unknown }[]).map((r) => ({ ...r, detailText: JSON.stringify(r.detail) }));
    render(ctx, p, 'admin-audit', { records, filters, next: json(out).next_cursor, exportHref: `/admin/audit/export.csv?${new URLSearchParams(filters)}`, verified });
  });

  router.get('/audit/export.csv', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'audit.export', { query: auditFilters(ctx) });
    if (!out || !('csv' in out)) return;
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('content-disposition', `attachment; filename="${out.csv.filename}"`);
    ctx.body = Readable.from(csvLines(out.csv.header, out.csv.rows));
  });
}
