import { createContext } from 'svelte';
import type { Permission } from '../../../../server/teams/access/permissions.ts';
import type { Me } from '../../../../server/teams/answer-types.ts';

const STORAGE_KEY = 'waymark.token';
const WORKSPACE_KEY = 'waymark.workspace';

// What `GET /api/auth/me` answers, as the server types it (type-only: nothing of it is bundled).
export type { Me };

/**
 * Who the editor acts as: a signed-in user (the session cookie, with its CSRF token) or an API
 * token, taken once from `?token=` (then stripped so it never lingers in history or bookmarks)
 * and kept in localStorage. Either is asked for again whenever the server answers 401.
 */
export class Session {
  token = $state<string | null>(null);
  /** `GET /api/auth/me`, once known; null while signed out. */
  me = $state<Me | null>(null);
  /** The workspace asked for with `X-Waymark-Workspace` (a user's choice). */
  workspaceId = $state<string | null>(localStorage.getItem(WORKSPACE_KEY));
  /** Bumped whenever the principal or workspace changes, so pages reload. */
  generation = $state(0);
  /** Why the sign-in page is showing (a refused token or an ended session says so). */
  reason = $state<string | null>(null);
  /** Whether the first `GET /api/auth/me` has answered. */
  checked = $state(false);

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
    return this.token === null && this.me === null;
  }

  get csrfToken(): string | null {
    return this.me?.csrfToken ?? null;
  }

  /** Whether the principal holds a permission in the current workspace. */
  can(permission: Permission): boolean {
    return this.me === null ? this.token !== null : this.me.permissions.includes(permission);
  }

  /** Why a control needing `permission` is disabled, or undefined when it is allowed. */
  reasonFor(permission: Permission): string | undefined {
    return this.can(permission)
      ? undefined
      : `Needs the ${permission} permission (your role: ${this.me?.role ?? 'none'})`;
  }

  setToken(token: string): void {
    localStorage.setItem(STORAGE_KEY, token);
    this.token = token;
    this.reason = null;
    this.generation++;
  }

  setMe(me: Me): void {
    this.me = me;
    this.checked = true;
    this.reason = null;
  }

  switchWorkspace(id: string): void {
    localStorage.setItem(WORKSPACE_KEY, id);
    this.workspaceId = id;
    this.generation++;
  }

  /**
   * The user left (or lost) a workspace: when it was the one asked for, ask for none, so the
   * earliest joined is used rather than a header every route would answer 404.
   */
  leftWorkspace(id: string): void {
    if (this.workspaceId === id) {
      localStorage.removeItem(WORKSPACE_KEY);
      this.workspaceId = null;
    }
    this.generation++;
  }

  /** The server refused the token or session: forget both and ask again. */
  reject(): void {
    if (this.token) this.reason = 'The server refused the token. Sign in, or enter a valid API token.';
    else if (this.me) this.reason = 'Your session has ended. Sign in again.';
    localStorage.removeItem(STORAGE_KEY);
    this.token = null;
    this.me = null;
    this.checked = true;
  }

  signedOut(): void {
    localStorage.removeItem(STORAGE_KEY);
    this.token = null;
    this.me = null;
    this.reason = null;
  }
}

export const [getSession, setSession] = createContext<Session>();
