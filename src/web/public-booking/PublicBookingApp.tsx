import { Alert } from '@mantine/core';
import { matchPath, useLocation } from '../router.tsx';
import { BookingPage } from './BookingPage.tsx';
import { ManageBookingPage } from './ManageBookingPage.tsx';
import { PublicFrame } from './VisitSummary.tsx';

/** The pages patients use without an account: /book/:tenantSlug and /book/manage/:token. */
export function PublicBookingApp() {
  const { pathname } = useLocation();
  const manage = matchPath('/book/manage/:token', pathname);
  // Not keyed by token: a rescheduled visit swaps in its fresh link without losing the page's message.
  if (manage) return <ManageBookingPage token={manage.token!} />;
  const book = matchPath('/book/:tenantSlug', pathname);
  if (book) return <BookingPage key={book.tenantSlug} slug={book.tenantSlug!} />;
  return (
    <PublicFrame clinicName={null}>
      <Alert color="red" role="alert" title="Page not found">
        Check the booking link the clinic gave you.
      </Alert>
    </PublicFrame>
  );
}

