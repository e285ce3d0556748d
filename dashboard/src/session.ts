/** The signed session token lives in sessionStorage (this tab only); the API secret never does. */
import type { Session } from "./api";

const KEY = "gateway.session";

export function loadSession(storage: Storage = sessionStorage, now = Date.now()): Session | null {
  const raw = storage.getItem(KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as Session;
    if (typeof session.token === "string" && new Date(session.expires_at).getTime() > now) return session;
  } catch {
    // corrupt: treated as signed out
  }
  storage.removeItem(KEY);
  return null;
}

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(KEY);
}

export function millisecondsLeft(session: Session, now = Date.now()): number {
  return new Date(session.expires_at).getTime() - now;
}
