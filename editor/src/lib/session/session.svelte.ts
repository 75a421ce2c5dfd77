import { createContext } from 'svelte';

const STORAGE_KEY = 'waymark.token';

/**
 * The API token: taken once from `?token=` (then stripped so it never lingers in history or
 * bookmarks), kept in localStorage, and asked for again whenever the server answers 401.
 */
export class Session {
  token = $state<string | null>(null);
  /** Bumped whenever a new token is entered, so pages reload what a 401 interrupted. */
  generation = $state(0);
  /** Why the token prompt is showing (a rejected token says so). */
  reason = $state<string | null>(null);

  constructor() {
    const url = new URL(location.href);
    const fromUrl = url.searchParams.get('token');
    if (fromUrl) {
      localStorage.setItem(STORAGE_KEY, fromUrl);
      url.searchParams.delete('token');
      history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    }
    this.token = fromUrl ?? localStorage.getItem(STORAGE_KEY);
  }

  get needsToken(): boolean {
    return this.token === null;
  }

  setToken(token: string): void {
    localStorage.setItem(STORAGE_KEY, token);
    this.token = token;
    this.reason = null;
    this.generation++;
  }

  /** The server refused the token: forget it and ask again. */
  reject(): void {
    localStorage.removeItem(STORAGE_KEY);
    this.token = null;
    this.reason = 'The server refused the token. Enter a valid API token.';
  }
}

export const [getSession, setSession] = createContext<Session>();
