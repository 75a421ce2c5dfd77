import { createContext } from 'svelte';

export type Route =
  | { name: 'journeys' }
  | { name: 'journey'; id: string }
  | { name: 'contacts' }
  | { name: 'outbox' }
  | { name: 'team' }
  | { name: 'history' }
  | { name: 'packages' }
  | { name: 'credentials' }
  | { name: 'sign-in' }
  | { name: 'setup'; code: string }
  | { name: 'invite'; token: string }
  | { name: 'reset-password'; token: string }
  | { name: 'templates' }
  | { name: 'template'; id: string }
  | { name: 'forms' }
  | { name: 'form'; id: string }
  | { name: 'not-found'; path: string };

// The server answers these paths with the editor (server/editor-pages.ts): keep the two in step.
export function parseRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return { name: 'journeys' };
  if (parts[0] === 'journeys' && parts.length === 1) return { name: 'journeys' };
  if (parts[0] === 'journeys' && parts.length === 2) return { name: 'journey', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'contacts' && parts.length === 1) return { name: 'contacts' };
  if (parts[0] === 'outbox' && parts.length === 1) return { name: 'outbox' };
  if (parts[0] === 'team' && parts.length === 1) return { name: 'team' };
  if (parts[0] === 'history' && parts.length === 1) return { name: 'history' };
  if (parts[0] === 'packages' && parts.length === 1) return { name: 'packages' };
  if (parts[0] === 'credentials' && parts.length === 1) return { name: 'credentials' };
  if (parts[0] === 'sign-in' && parts.length === 1) return { name: 'sign-in' };
  const secret = decodeURIComponent(parts[1] ?? '');
  if (parts[0] === 'setup' && parts.length === 2) return { name: 'setup', code: secret };
  if (parts[0] === 'invite' && parts.length === 2) return { name: 'invite', token: secret };
  if (parts[0] === 'reset-password' && parts.length === 2) return { name: 'reset-password', token: secret };
  if (parts[0] === 'templates' && parts.length === 1) return { name: 'templates' };
  if (parts[0] === 'forms' && parts.length === 1) return { name: 'forms' };
  if (parts[0] === 'forms' && parts.length === 2) return { name: 'form', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'templates' && parts.length === 2) return { name: 'template', id: decodeURIComponent(parts[1]) };
  return { name: 'not-found', path };
}

const LEAVE_QUESTION = 'This page has unsaved changes. Leave it and lose them?';

/**
 * History-API router. Same-origin `<a href="/…">` clicks are intercepted globally, so views
 * write plain links and the server's SPA fallback serves any deep link.
 */
export class Router {
  path = $state(location.pathname);
  route = $derived(parseRoute(this.path));
  /** Each open page's test for work not yet saved (pages that save only on Save). */
  readonly #unsaved = new Set<() => boolean>();

  constructor() {
    window.addEventListener('popstate', () => {
      // The address has already changed: staying puts the page's own back.
      if (location.pathname !== this.path && !this.mayLeave()) history.pushState(null, '', this.path);
      else this.path = location.pathname;
    });
    window.addEventListener('beforeunload', (event) => {
      if (this.#hasUnsaved()) event.preventDefault();
    });
    document.addEventListener('click', (event) => this.#intercept(event));
  }

  /**
   * Holds the page while `unsaved()` answers true: leaving it in the app asks first, and a reload
   * or closed tab gets the browser's prompt. Returns the release, for the page's `onDestroy`.
   */
  holdWhileUnsaved(unsaved: () => boolean): () => void {
    this.#unsaved.add(unsaved);
    return () => this.#unsaved.delete(unsaved);
  }

  #hasUnsaved(): boolean {
    return [...this.#unsaved].some((unsaved) => unsaved());
  }

  /**
   * Whether the page may be left: nothing unsaved, or the user chose to leave it. For an action
   * that leaves after doing something first (signing out), then `navigate(path, { asked: true })`.
   */
  mayLeave(): boolean {
    return !this.#hasUnsaved() || window.confirm(LEAVE_QUESTION);
  }

  navigate(path: string, { replace = false, asked = false }: { replace?: boolean; asked?: boolean } = {}): void {
    if (path === location.pathname + location.search) return;
    if (!asked && new URL(path, location.href).pathname !== this.path && !this.mayLeave()) return;
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    this.path = location.pathname;
  }

  #intercept(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search);
  }
}

export const [getRouter, setRouter] = createContext<Router>();
