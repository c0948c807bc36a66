import type { AuthProvider } from 'react-admin';
import { api, clearAccess, hasSession, setAccess } from './api';
import { storeFor } from './store';

export type Role = 'admin' | 'dpo' | 'sales' | 'account_manager' | 'event_staff';
interface Me { id: string; email: string; name: string; roles: Role[] }

// Who is signed in, asked once per sign-in (roles decide the menu).
let me: Promise<Me> | null = null;
const whoAmI = () =>
  (me ??= api<Me>('/api/auth/me').then(
    (user) => (storeFor(user.id), user), // the store is the user's from here on
    (err) => ((me = null), Promise.reject(err)),
  ));

export const authProvider: AuthProvider = {
  async login({ username, password }: { username: string; password: string }) {
    const res = await fetch('/api/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ email: username, password }),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(res.status === 429 ? 'Too many attempts; try again later.' : (body?.detail ?? 'Wrong e-mail or password.'));
    setAccess(body);
    me = null;
  },
  async logout() {
    clearAccess();
    me = null;
    await fetch('/api/auth/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
  },
  async checkAuth() {
    if (!(await hasSession())) throw new Error('Please sign in.');
  },
  async checkError(error: { status?: number }) {
    // api() has renewed the session already: a 401 now means it ended. A 403 is a refusal, not a sign-out.
    if (error?.status === 401) throw new Error('Your session ended; please sign in again.');
  },
  async getIdentity() {
    const { id, name, email } = await whoAmI();
    return { id, fullName: name, email };
  },
  async getPermissions() {
    // Asked on the sign-in page too: no session there means no roles, not an error.
    if (!(await hasSession())) return [];
    return (await whoAmI()).roles;
  },
};
