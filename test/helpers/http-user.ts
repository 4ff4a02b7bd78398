// A person at a browser, played over plain HTTP: a cookie jar, manual redirects, form posts.
export class HttpUser {
  jar = new Map<string, string>();

  /** go with every request (e.g. the browser's Accept-Language) */
  private readonly headers: Record<string, string>;

  constructor(headers: Record<string, string> = {}) {
    this.headers = headers;
  }

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers({ ...this.headers, ...Object.fromEntries(new Headers(init.headers)) });
    if (this.jar.size) headers.set('cookie', this.cookieHeader());
    headers.set('accept', headers.get('accept') ?? 'text/html');
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(res);
    return res;
  }

  /** GETs and follows redirects until a non-redirect or a URL that starts with `stopAt`. */
  async follow(url: string, stopAt?: string, init: RequestInit = {}): Promise<{ url: string; res: Response }> {
    let current = url;
    let res = await this.request(current, init);
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
      current = new URL(res.headers.get('location')!, current).toString();
      if (stopAt && current.startsWith(stopAt)) return { url: current, res };
      res = await this.request(current);
    }
    return { url: current, res };
  }

  async postForm(url: string, fields: Record<string, string>, stopAt?: string) {
    return this.follow(url, stopAt, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

export function formFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

export function formAction(html: string, contains: string): string {
  const m = [...html.matchAll(/<form[^>]*action="([^"]+)"/g)].find((x) => x[1].includes(contains));
  if (!m) throw new Error(`no form with action containing ${contains}`);
  return m[1].replace(/&amp;/g, '&');
}
