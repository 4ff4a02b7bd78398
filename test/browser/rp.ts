// A tiny departmental app (relying party) on a loopback port, built on openid-client the way an
// integrator would: /login starts code + PKCE, /callback redeems the code and greets the person by
// name, /logout starts RP-initiated logout, /bye is the post-logout landing page. Variants:
// /login?mode=form_post asks for the code to be POSTed to /callback; /post-login and /post-logout
// show a button that sends the same requests as a form POST (OIDC Core 3.1.2.1) instead of a GET.
import crypto from 'node:crypto';
import http from 'node:http';
import * as oidc from 'openid-client';
import { freePort } from '../helpers/server.ts';

export interface DepartmentalApp {
  /** e.g. http://127.0.0.1:43210 */
  base: string;
  redirectUri: string;
  postLogoutUri: string;
  /** set once the app's client is registered */
  connect(clientId: string, clientSecret: string | undefined): Promise<void>;
  close(): Promise<void>;
}

interface RpSession {
  verifier?: string;
  state?: string;
  nonce?: string;
  idToken?: string;
  name?: string;
  /** how the authorization response arrived: GET (query) or POST (form_post) */
  responseMethod?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const hiddenFields = (params: URLSearchParams) =>
  [...params].map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');

async function readBody(req: http.IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

/**
 * `label` names the app on its pages; `issuer` is Yitong's. `host` is the name the app is reached
 * by (default 127.0.0.1, the provider's own; `localhost` makes the app a different site).
 */
export async function startDepartmentalApp(label: string, issuer: string, opts: { host?: string } = {}): Promise<DepartmentalApp> {
  const port = await freePort();
  const base = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  const redirectUri = `${base}/callback`;
  const postLogoutUri = `${base}/bye`;
  // Cookies ignore ports: the provider and every app on 127.0.0.1 share one cookie jar, so the
  // app's cookie carries its port in its name.
  const cookieName = `rp_${port}`;
  const sessions = new Map<string, RpSession>();
  let config: oidc.Configuration | undefined;

  const sessionOf = (req: http.IncomingMessage, res: http.ServerResponse): RpSession => {
    const m = (req.headers.cookie ?? '').match(new RegExp(`(?:^|;\\s*)${cookieName}=([^;]+)`));
    let id = m?.[1];
    if (!id || !sessions.has(id)) {
      id = crypto.randomBytes(16).toString('hex');
      sessions.set(id, {});
      res.setHeader('set-cookie', `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Lax`);
    }
    return sessions.get(id)!;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    const session = sessionOf(req, res);
    const html = (status: number, title: string, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(page(title, body));
    };
    const redirect = (to: string) => res.writeHead(302, { location: to }).end();
    if (!config) return html(503, label, '<p>not connected</p>');

    switch (url.pathname) {
      case '/': {
        if (session.name) return html(200, label, `<p id="who">${escapeHtml(session.name)}</p><a id="logout" href="/logout">退出</a>`);
        return html(200, label, '<a id="login" href="/login">统一身份认证登录</a>');
      }
      case '/login':
      case '/post-login': {
        session.verifier = oidc.randomPKCECodeVerifier();
        session.state = oidc.randomState();
        session.nonce = oidc.randomNonce();
        const to = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid profile',
          code_challenge: await oidc.calculatePKCECodeChallenge(session.verifier),
          code_challenge_method: 'S256',
          state: session.state,
          nonce: session.nonce,
          ...(url.searchParams.get('mode') === 'form_post' ? { response_mode: 'form_post' } : {}),
        });
        if (url.pathname === '/login') return redirect(to.toString());
        const action = `${to.origin}${to.pathname}`;
        return html(200, label, `<form method="post" action="${escapeHtml(action)}">${hiddenFields(to.searchParams)}<button id="go" type="submit">统一身份认证登录</button></form>`);
      }
      case '/callback': {
        // response_mode=form_post: the parameters arrive as a form POST
        const current =
          req.method === 'POST'
            ? new Request(redirectUri, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: await readBody(req) })
            : url;
        session.responseMethod = req.method;
        const tokens = await oidc.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: session.verifier,
          expectedState: session.state,
          expectedNonce: session.nonce,
        });
        session.idToken = tokens.id_token;
        session.name = String(tokens.claims()?.name ?? '');
        return html(200, label, `<p id="who">${escapeHtml(session.name)}</p><p id="via">${escapeHtml(session.responseMethod ?? '')}</p><a id="logout" href="/logout">退出</a>`);
      }
      case '/logout':
      case '/post-logout': {
        const to = oidc.buildEndSessionUrl(config, { id_token_hint: session.idToken!, post_logout_redirect_uri: postLogoutUri, state: 'bye' });
        session.name = undefined;
        session.idToken = undefined;
        if (url.pathname === '/logout') return redirect(to.toString());
        const action = `${to.origin}${to.pathname}`;
        return html(200, label, `<form method="post" action="${escapeHtml(action)}">${hiddenFields(to.searchParams)}<button id="go" type="submit">退出</button></form>`);
      }
      case '/bye':
        return html(200, label, `<p id="bye">已退出 state=${escapeHtml(url.searchParams.get('state') ?? '')}</p>`);
      default:
        return html(404, label, '<p>not found</p>');
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error & { error?: string }) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`rp error: ${err.error ?? ''} ${err.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return {
    base,
    redirectUri,
    postLogoutUri,
    async connect(clientId, clientSecret) {
      config = await oidc.discovery(new URL(issuer), clientId, clientSecret, clientSecret ? undefined : oidc.None(), { execute: [oidc.allowInsecureRequests] });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
