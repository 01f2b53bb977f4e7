import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiProblem } from './api.js';

export interface User {
  id: string;
  username: string;
  email?: string;
}

interface AuthAnswer {
  user?: User;
  accessToken: string;
  expiresIn: number;
}

export interface Session {
  /** Null while signed out; undefined while the first refresh is in flight. */
  user: User | null | undefined;
  /** The access token (memory only: never in localStorage), for EventSource URLs. */
  token: () => string | null;
  /** The API with the access token; refreshes it once on a 401. */
  call: <T>(method: string, path: string, body?: unknown) => Promise<T>;
  login: (login: string, password: string) => Promise<void>;
  signup: (username: string, email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

/**
 * The signed-in user. The access token lives in memory only; the refresh token is the server's
 * httpOnly `__Host-refresh` cookie, so a reload signs back in with one refresh call and no secret
 * is ever readable by scripts (nothing in localStorage).
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const token = useRef<string | null>(null);
  const refreshing = useRef<Promise<boolean> | null>(null);

  const refresh = useCallback(async (): Promise<boolean> => {
    // One refresh at a time: the cookie rotates, a second concurrent one would be a reuse.
    refreshing.current ??= api<AuthAnswer>('POST', '/api/v1/auth/refresh')
      .then((answer) => {
        token.current = answer.accessToken;
        return true;
      })
      .catch(() => {
        token.current = null;
        return false;
      })
      .finally(() => {
        refreshing.current = null;
      });
    return refreshing.current;
  }, []);

  const call = useCallback(
    async <T,>(method: string, path: string, body?: unknown): Promise<T> => {
      try {
        return await api<T>(method, path, body, token.current ?? undefined);
      } catch (error) {
        if (!(error instanceof ApiProblem) || error.status !== 401 || !(await refresh())) throw error;
        return api<T>(method, path, body, token.current ?? undefined);
      }
    },
    [refresh],
  );

  useEffect(() => {
    void (async () => {
      if (!(await refresh())) return setUser(null);
      setUser(await api<User>('GET', '/api/v1/me', undefined, token.current ?? undefined).catch(() => null));
    })();
  }, [refresh]);

  const signedIn = (answer: AuthAnswer) => {
    token.current = answer.accessToken;
    setUser(answer.user ?? null);
  };

  const session = useMemo<Session>(
    () => ({
      user,
      token: () => token.current,
      call,
      login: async (login, password) => signedIn(await api<AuthAnswer>('POST', '/api/v1/auth/login', { login, password })),
      signup: async (username, email, password) => signedIn(await api<AuthAnswer>('POST', '/api/v1/auth/signup', { username, email, password })),
      logout: async () => {
        await api('POST', '/api/v1/auth/logout').catch(() => undefined);
        token.current = null;
        setUser(null);
      },
    }),
    [user, call],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside SessionProvider');
  return session;
}
