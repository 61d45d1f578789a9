/**
 * A cookie-keeping HTTP client that signs in the way a browser does through NextAuth:
 * GET /api/auth/csrf, then POST /api/auth/callback/credentials, keeping the session cookie.
 */
export class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Replaces or sets one cookie (to tamper with the session in tests). */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  getCookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** fetch with this browser's cookies and, for non-GET requests, its own Origin. */
  async fetch(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has('cookie')) headers.set('cookie', this.cookieHeader);
    if (init.method && init.method !== 'GET' && !headers.has('origin')) headers.set('origin', this.baseUrl);
    const response = await fetch(`${this.baseUrl}${pathname}`, { ...init, headers, redirect: 'manual' });
    this.remember(response);
    return response;
  }

  /** GET or POST JSON, returning status and parsed body. */
  async json<T = Record<string, unknown>>(
    pathname: string,
    init: RequestInit & { json?: unknown } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const { json, ...rest } = init;
    const request: RequestInit =
      json === undefined
        ? rest
        : {
            ...rest,
            method: rest.method ?? 'POST',
            headers: { 'content-type': 'application/json', ...(rest.headers as Record<string, string> | undefined) },
            body: JSON.stringify(json),
          };
    const response = await this.fetch(pathname, request);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
  }

  /** Signs in through NextAuth's credentials flow; true when a session cookie was set. */
  async signIn(email: string, password: string, headers: Record<string, string> = {}): Promise<boolean> {
    const csrf = await this.json<{ csrfToken: string }>('/api/auth/csrf');
    const response = await this.fetch('/api/auth/callback/credentials', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ csrfToken: csrf.body.csrfToken, email, password, json: 'true' }),
    });
    await response.arrayBuffer();
    return this.cookies.has('next-auth.session-token');
  }
}
