import { createContext } from 'svelte';
import type { Session } from '../session/session.svelte.ts';
import type { GraphError } from './types/journeys.ts';

/** An error answer of the API (`{ error: { code, message, details } }`) or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: GraphError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | undefined | null>;

/** An answer with its ETag (null when the server sent none). */
export interface Tagged<T> {
  body: T;
  etag: string | null;
}

/** A thin fetch wrapper: JSON in and out, bearer token, 401 hands control back to the session. */
export class Api {
  constructor(private readonly session: Session) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', withQuery(path, query));
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }
  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }
  /** Sends a file as the body, with its own content type (an `npm pack` tarball). */
  upload<T>(path: string, file: Blob, contentType: string): Promise<T> {
    return this.request<T>('POST', path, undefined, { body: file, contentType });
  }

  /**
   * A request whose answer's ETag is kept; `ifMatch` is sent as If-Match, so the server refuses
   * with 412 `precondition_failed` what no longer applies to the revision it names.
   */
  async tagged<T>(method: 'GET' | 'PUT', path: string, options: { body?: unknown; ifMatch?: string } = {}) {
    const headers: Record<string, string> = options.ifMatch === undefined ? {} : { 'If-Match': options.ifMatch };
    const res = await this.send(method, path, options.body, undefined, headers);
    return { body: (await answer(res)) as T, etag: res.headers.get('ETag') } satisfies Tagged<T>;
  }

  /**
   * The websocket URL of the live feed. Browsers send no headers on a websocket, so it carries
   * a single-use ticket that expires in a minute, never the token itself.
   */
  async liveUrl(journeyId: string): Promise<string> {
    const { ticket } = await this.post<{ ticket: string }>('/api/live/ticket');
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    return withQuery(`${proto}://${location.host}/api/live`, { ticket, journeyId });
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    raw?: { body: Blob; contentType: string },
  ): Promise<T> {
    return (await answer(await this.send(method, path, body, raw))) as T;
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    raw?: { body: Blob; contentType: string },
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...extra };
    // A token decides when there is one; otherwise the session cookie, with its CSRF token.
    if (this.session.token) headers.Authorization = `Bearer ${this.session.token}`;
    else if (method !== 'GET' && this.session.csrfToken) headers['X-CSRF-Token'] = this.session.csrfToken;
    if (!this.session.token && this.session.workspaceId) headers['X-Waymark-Workspace'] = this.session.workspaceId;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (raw) headers['Content-Type'] = raw.contentType;
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: raw ? raw.body : body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new ApiError(0, 'network', `Cannot reach the server (${String(cause)})`);
    }
    if (res.status === 401 && !path.startsWith('/api/auth/') && !path.startsWith('/api/invitations/')) {
      this.session.reject();
      throw new ApiError(401, 'unauthorized', 'The API token or session was refused');
    }
    return res;
  }
}

/** The answer's JSON (or text), or its error thrown as an ApiError. */
async function answer(res: Response): Promise<unknown> {
  const text = await res.text();
  const data: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) throw toError(res.status, data);
  return data;
}

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toError(status: number, data: unknown): ApiError {
  const error = (data as { error?: { code?: string; message?: string; details?: GraphError[] } } | undefined)?.error;
  return new ApiError(status, error?.code ?? 'http_error', error?.message ?? `HTTP ${status}`, error?.details ?? []);
}

export const [getApi, setApi] = createContext<Api>();
