import { Alert } from '@mantine/core';
import { matchPath, useLocation } from '../router.tsx';
import { LinkFrame } from './LinkFrame.tsx';
import { OfferPage } from './OfferPage.tsx';
import { PreferencesPage } from './PreferencesPage.tsx';
import { SurveyPage } from './SurveyPage.tsx';

/**
 * The pages patients reach from their messages, with no account: /preferences/:token,
 * /survey/:token and /offer/:token. The signed token is the only key.
 */
export function PatientLinksApp() {
  const { pathname } = useLocation();
  const preferences = matchPath('/preferences/:token', pathname);
  if (preferences) return <PreferencesPage key={preferences.token} token={preferences.token!} />;
  const survey = matchPath('/survey/:token', pathname);
  if (survey) return <SurveyPage key={survey.token} token={survey.token!} />;
  const offer = matchPath('/offer/:token', pathname);
  if (offer) return <OfferPage key={offer.token} token={offer.token!} />;
  return (
    <LinkFrame clinicName={null} title="Page not found">
      <Alert color="red" role="alert" title="Page not found">
        Check that the whole link from your message was copied.
      </Alert>
    </LinkFrame>
  );
}
