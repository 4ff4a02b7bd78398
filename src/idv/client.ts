// Real-name check against the population base (二要素核验), Yitong's own JSON protocol:
//
//   POST IDV_URL   Authorization: Bearer IDV_TOKEN   {"id_number": "...", "name": "..."}
//   200 {"result": "match" | "mismatch" | "not_found"}
//
// A timeout, a connection error, a 5xx or 429 is retried (IDV_RETRIES more times, 200 ms then
// doubling); when it persists, or the answer is anything else (a 4xx: our token or request is
// wrong, an unknown body), the result is `unavailable`: never a match.
import type { IdvConfig } from '../config/citizen.ts';
import { logger } from '../log.ts';

export type IdvResult = 'match' | 'mismatch' | 'not_found' | 'unavailable';

export interface IdvAnswer {
  result: IdvResult;
  /** requests made */
  attempts: number;
  ms: number;
  /** why it is unavailable (`timeout`, `http_503`, ...) */
  reason?: string;
}

export interface IdvClient {
  check(idNumber: string, name: string): Promise<IdvAnswer>;
}

const RESULTS = new Set(['match', 'mismatch', 'not_found']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createIdvClient(cfg: IdvConfig): IdvClient | null {
  if (!cfg.url) return null;
  const url = cfg.url;
  return {
    async check(idNumber, name) {
      const started = Date.now();
      let reason = 'unknown';
      for (let attempt = 1; ; attempt++) {
        let retry = false;
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json', ...(cfg.token ? { authorization: `Bearer ${cfg.token}` } : {}) },
            body: JSON.stringify({ id_number: idNumber, name }),
            signal: AbortSignal.timeout(cfg.timeoutMs),
          });
          const text = await res.text();
          if (res.status >= 500 || res.status === 429) {
            reason = `http_${res.status}`;
            retry = true;
          } else if (res.status !== 200) {
            reason = `http_${res.status}`;
            logger.error({ status: res.status }, 'IDV service refused the request: check IDV_URL and IDV_TOKEN');
          } else {
            let result: unknown;
            try {
              result = (JSON.parse(text) as { result?: unknown }).result;
            } catch {
              result = undefined;
            }
            if (typeof result === 'string' && RESULTS.has(result)) return { result: result as IdvResult, attempts: attempt, ms: Date.now() - started };
            reason = 'bad_answer';
            logger.error({ body: text.slice(0, 100) }, 'IDV service answered something else than {"result": "match" | "mismatch" | "not_found"}');
          }
        } catch (err) {
          const e = err as { name?: string; cause?: { code?: string } };
          reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : (e.cause?.code ?? 'network');
          retry = true;
        }
        if (!retry || attempt > cfg.retries) return { result: 'unavailable', attempts: attempt, ms: Date.now() - started, reason };
        await sleep(200 * 2 ** (attempt - 1));
      }
    },
  };
}
