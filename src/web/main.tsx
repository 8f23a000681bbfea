import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { App } from './App.tsx';
import { AuthProvider } from './auth/AuthContext.tsx';
import { theme } from './theme.ts';
import { FullPageLoader } from './common/FullPageStatus.tsx';

// Patients booking online have no account: their pages skip the staff session entirely.
const PublicBookingApp = lazy(() => import('./public-booking/PublicBookingApp.tsx').then((m) => ({ default: m.PublicBookingApp })));
const publicBooking = window.location.pathname === '/book' || window.location.pathname.startsWith('/book/');
// Links sent to patients (preferences, visit survey, waitlist offer) are public pages too.
const PatientLinksApp = lazy(() => import('./patient-links/PatientLinksApp.tsx').then((m) => ({ default: m.PatientLinksApp })));
const patientLink = /^\/(preferences|survey|offer)\//.test(window.location.pathname);

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

createRoot(container).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <Notifications position="top-right" />
      {patientLink ? (
        <Suspense fallback={<FullPageLoader label="Opening…" />}>
          <PatientLinksApp />
        </Suspense>
      ) : publicBooking ? (
        <Suspense fallback={<FullPageLoader label="Opening the booking page…" />}>
          <PublicBookingApp />
        </Suspense>
      ) : (
        <AuthProvider>
          <App />
        </AuthProvider>
      )}
    </MantineProvider>
  </StrictMode>,
);
