import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { ApiError, isAbortError, setUnauthenticatedHandler } from '../api/client.ts';
import { fetchSession, signIn as requestSignIn, signOut as requestSignOut } from '../api/endpoints.ts';
import type { Session } from '../api/types.ts';
import { navigate } from '../router.tsx';

export type AuthState =
  | { status: 'checking' }
  | { status: 'signedOut' }
  | { status: 'signedIn'; session: Session }
  /** The session could not be checked (server down, 500); not the same as signed out. */
  | { status: 'unavailable'; error: unknown };

interface AuthContextValue {
  state: AuthState;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  recheck: () => void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'checking' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    // Any call that meets a 401 means the session ended (expired, revoked): forget it.
    setUnauthenticatedHandler(() => setState({ status: 'signedOut' }));
    return () => setUnauthenticatedHandler(null);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    fetchSession(controller.signal).then(
      (session) => setState({ status: 'signedIn', session }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        if (error instanceof ApiError && error.status === 401) setState({ status: 'signedOut' });
        else setState({ status: 'unavailable', error });
      },
    );
    return () => controller.abort();
  }, [attempt]);

  const signIn = useCallback(async (email: string, password: string) => {
    const session = await requestSignIn(email, password);
    setState({ status: 'signedIn', session });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await requestSignOut();
    } catch (error) {
      // Already signed out is fine; anything else means the session may still be live.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    navigate('/login');
    setState({ status: 'signedOut' });
  }, []);

  const recheck = useCallback(() => {
    setState({ status: 'checking' });
    setAttempt((n) => n + 1);
  }, []);

  const value = useMemo(() => ({ state, signIn, signOut, recheck }), [state, signIn, signOut, recheck]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}

/** The signed-in session; only for components rendered behind the sign-in gate. */
export function useSession(): Session {
  const { state } = useAuth();
  if (state.status !== 'signedIn') throw new Error('useSession needs a signed-in user');
  return state.session;
}
