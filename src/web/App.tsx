import { lazy, Suspense, useEffect } from 'react';
import type { ReactNode } from 'react';
import { useAuth } from './auth/AuthContext.tsx';
import { LoginPage } from './auth/LoginPage.tsx';
import { canSeePatients } from './auth/roles.ts';
import { FullPageError, FullPageLoader, PageLoader } from './common/FullPageStatus.tsx';
import { NoAccessPage } from './common/NoAccessPage.tsx';
import { NotFoundPage } from './common/NotFoundPage.tsx';
import { AppFrame } from './layout/AppFrame.tsx';
import { OverviewPage } from './overview/OverviewPage.tsx';
import { PatientsPage } from './patients/PatientsPage.tsx';
import { matchPath, navigate, safeNextPath, useLocation } from './router.tsx';

// Pages past the list load on first visit, keeping the first screen's download small.
const PatientPage = lazy(() => import('./patient/PatientPage.tsx').then((m) => ({ default: m.PatientPage })));
const MyTasksPage = lazy(() => import('./tasks/MyTasksPage.tsx').then((m) => ({ default: m.MyTasksPage })));
const LeadBoardPage = lazy(() => import('./leads/LeadBoardPage.tsx').then((m) => ({ default: m.LeadBoardPage })));
const ImportPage = lazy(() => import('./import/ImportPage.tsx').then((m) => ({ default: m.ImportPage })));
const DuplicateReviewPage = lazy(() => import('./duplicates/DuplicateReviewPage.tsx').then((m) => ({ default: m.DuplicateReviewPage })));
const SchedulePage = lazy(() => import('./schedule/SchedulePage.tsx').then((m) => ({ default: m.SchedulePage })));
const WaitlistPage = lazy(() => import('./waitlist/WaitlistPage.tsx').then((m) => ({ default: m.WaitlistPage })));
const InboxPage = lazy(() => import('./inbox/InboxPage.tsx').then((m) => ({ default: m.InboxPage })));
const MessagesPage = lazy(() => import('./messages/MessagesPage.tsx').then((m) => ({ default: m.MessagesPage })));
const JourneysPage = lazy(() => import('./journeys/JourneysPage.tsx').then((m) => ({ default: m.JourneysPage })));
const ClinicSetupPage = lazy(() => import('./setup/ClinicSetupPage.tsx').then((m) => ({ default: m.ClinicSetupPage })));

const LOGIN_PATH = '/login';
const AFTER_SIGN_IN = '/patients';

interface Route {
  pattern: string;
  /** Pages about individual patients, closed to roles that may not see them (marketing). */
  patientData: boolean;
  /** Only these roles, when the page is narrower than "staff who see patients". */
  roles?: readonly string[];
  render: (params: Record<string, string>) => ReactNode;
}

const ROUTES: Route[] = [
  { pattern: '/', patientData: false, render: () => <OverviewPage /> },
  { pattern: '/patients', patientData: true, render: () => <PatientsPage /> },
  // Keyed by id so moving from one patient to another starts the page afresh.
  { pattern: '/patients/:id', patientData: true, render: ({ id }) => <PatientPage key={id} patientId={id!} /> },
  { pattern: '/schedule', patientData: true, render: () => <SchedulePage today={false} /> },
  { pattern: '/schedule/today', patientData: true, render: () => <SchedulePage today /> },
  { pattern: '/waitlist', patientData: true, render: () => <WaitlistPage /> },
  { pattern: '/inbox', patientData: true, render: () => <InboxPage /> },
  { pattern: '/messages', patientData: true, render: () => <MessagesPage /> },
  { pattern: '/journeys', patientData: false, roles: ['admin', 'marketing'], render: () => <JourneysPage /> },
  { pattern: '/tasks', patientData: true, render: () => <MyTasksPage /> },
  { pattern: '/leads', patientData: true, render: () => <LeadBoardPage /> },
  { pattern: '/duplicates', patientData: true, render: () => <DuplicateReviewPage /> },
  { pattern: '/import', patientData: true, roles: ['admin', 'front_desk'], render: () => <ImportPage /> },
  { pattern: '/setup', patientData: false, roles: ['admin'], render: () => <ClinicSetupPage /> },
];

function pageFor(pathname: string, role: string): ReactNode {
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, pathname);
    if (!params) continue;
    if (route.patientData && !canSeePatients(role)) return <NoAccessPage />;
    if (route.roles && !route.roles.includes(role)) return <NoAccessPage />;
    return route.render(params);
  }
  return <NotFoundPage />;
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
        ? safeNextPath(location.search.get('next'), canSeePatients(state.session.user.role) ? AFTER_SIGN_IN : '/')
        : null;

  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  if (state.status === 'checking') return <FullPageLoader label="Opening Rapport…" />;
  if (state.status === 'unavailable') return <FullPageError error={state.error} onRetry={recheck} />;
  if (redirect) return <FullPageLoader label={onLogin ? 'Signing in…' : 'Redirecting to sign-in…'} />;
  if (onLogin) return <LoginPage />;
  if (state.status !== 'signedIn') return <FullPageLoader label="Redirecting to sign-in…" />;
  const role = state.session.user.role;
  return (
    <AppFrame pathname={location.pathname}>
      <Suspense fallback={<PageLoader />}>{pageFor(location.pathname, role)}</Suspense>
    </AppFrame>
  );
}
