import { useEffect } from 'react';
import { useAuth } from './auth/AuthContext.tsx';
import { LoginPage } from './auth/LoginPage.tsx';
import { FullPageError, FullPageLoader } from './common/FullPageStatus.tsx';
import { NotFoundPage } from './common/NotFoundPage.tsx';
import { AppFrame } from './layout/AppFrame.tsx';
import { OverviewPage } from './overview/OverviewPage.tsx';
import { PatientsPage } from './patients/PatientsPage.tsx';
import { navigate, safeNextPath, useLocation } from './router.tsx';

const LOGIN_PATH = '/login';
const AFTER_SIGN_IN = '/patients';

function pageFor(pathname: string) {
  switch (pathname) {
    case '/':
      return <OverviewPage />;
    case '/patients':
      return <PatientsPage />;
    default:
      return <NotFoundPage />;
  }
}

/** The sign-in address, remembering a specific page asked for (the overview is not one). */
function signInPathFor(href: string): string {
  return href === '/' ? LOGIN_PATH : `${LOGIN_PATH}?next=${encodeURIComponent(href)}`;
}

/**
 * Routes by session state and path. Redirects happen here and only here:
 * signed out anywhere but /login goes to /login?next=..., signed in on /login goes on.
 */
export function App() {
  const { state, recheck } = useAuth();
  const location = useLocation();
  const onLogin = location.pathname === LOGIN_PATH;

  const redirect =
    state.status === 'signedOut' && !onLogin
      ? signInPathFor(location.href)
      : state.status === 'signedIn' && onLogin
        ? safeNextPath(location.search.get('next'), AFTER_SIGN_IN)
        : null;

  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  if (state.status === 'checking') return <FullPageLoader label="Opening Rapport…" />;
  if (state.status === 'unavailable') return <FullPageError error={state.error} onRetry={recheck} />;
  if (redirect) return <FullPageLoader label={onLogin ? 'Signing in…' : 'Redirecting to sign-in…'} />;
  if (onLogin) return <LoginPage />;
  return <AppFrame pathname={location.pathname}>{pageFor(location.pathname)}</AppFrame>;
}
