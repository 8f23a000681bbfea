import { useCallback, useState } from 'react';
import { Alert, Anchor, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { IconCalendarEvent, IconClock, IconMapPin, IconUser } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { formatDay, formatTime, zoneAbbreviation } from '../schedule/format.ts';
import { answerOffer, fetchOffer, type OfferView } from './api.ts';
import { LinkFrame, LinkLoading, LinkProblem } from './LinkFrame.tsx';

/** /offer/:token: a freed slot held for the patient for a short while; take it or let it go. */
export function OfferPage({ token }: { token: string }) {
  const load = useCallback((signal: AbortSignal) => fetchOffer(token, signal), [token]);
  const query = useApiQuery(load);
  const clinicName = query.status === 'success' ? query.data.clinic.name : null;
  return (
    <LinkFrame clinicName={clinicName} title="An earlier appointment">
      {query.status === 'loading' && <LinkLoading label="Loading the offer" />}
      {query.status === 'error' && <LinkProblem error={query.error} />}
      {query.status === 'success' && <Offer token={token} view={query.data} onChange={query.setData} onStale={query.refresh} />}
    </LinkFrame>
  );
}

const at = (iso: string, zone: string) => `${formatDay(iso, zone)}, ${formatTime(iso, zone)} (${zoneAbbreviation(iso, zone)})`;

function Offer({ token, view, onChange, onStale }: { token: string; view: OfferView; onChange: (view: OfferView) => void; onStale: () => void }) {
  const answer = useAction(answerOffer);
  const [confirmDecline, setConfirmDecline] = useState(false);
  const { slot, status } = view.offer;
  const zone = slot.timeZone;

  async function respond(choice: 'accept' | 'decline') {
    const next = await answer.run(token, choice);
    if (next) onChange(next);
    // Refused (taken meanwhile, expired ...): show the offer as it now stands, with the reason above.
    else onStale();
  }

  return (
    <Stack gap="lg">
      <Title order={1} fz="h2">
        {status === 'accepted' ? 'Your appointment is booked' : 'An earlier appointment has come free'}
      </Title>
      {answer.error !== null && answer.error !== undefined && (
        <Alert color={answer.error instanceof ApiError && answer.error.status === 409 ? 'orange' : 'red'} variant="light" role="alert">
          {errorMessage(answer.error)}
        </Alert>
      )}
      <Paper withBorder radius="md" p="md" component="section" aria-label="The appointment offered">
        <Stack gap="xs">
          <Title order={2} fz="md">
            {slot.service}
          </Title>
          <Group gap="xs" wrap="nowrap">
            <IconCalendarEvent size={18} aria-hidden />
            <Text>
              {formatDay(slot.startsAt, zone)}, {formatTime(slot.startsAt, zone)}–{formatTime(slot.endsAt, zone)}{' '}
              <Text span c="dimmed" fz="sm">
                ({zoneAbbreviation(slot.startsAt, zone)})
              </Text>
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <IconUser size={18} aria-hidden />
            <Text>with {slot.practitioner}</Text>
          </Group>
          <Group gap="xs" wrap="nowrap" align="flex-start">
            <IconMapPin size={18} aria-hidden />
            <Text>
              {slot.location.name}
              {slot.location.address ? `, ${slot.location.address}` : ''}
            </Text>
          </Group>
          {status === 'pending' && (
            <Group gap="xs" wrap="nowrap">
              <IconClock size={18} aria-hidden />
              <Text fw={500}>Held for you until {at(view.offer.expiresAt, zone)}</Text>
            </Group>
          )}
        </Stack>
      </Paper>
      <OfferState view={view} />
      {view.actions.accept && !confirmDecline && (
        <Group>
          <Button onClick={() => void respond('accept')} loading={answer.pending}>
            Book this time
          </Button>
          <Button variant="default" onClick={() => setConfirmDecline(true)} disabled={answer.pending}>
            No thanks
          </Button>
        </Group>
      )}
      {view.actions.decline && confirmDecline && (
        <Stack gap="sm" component="section" aria-label="Turn the offer down">
          <Text>Turn this time down? It will be offered to someone else. You stay on the waiting list.</Text>
          <Group>
            <Button color="red" variant="light" onClick={() => void respond('decline')} loading={answer.pending}>
              Yes, turn it down
            </Button>
            <Button variant="default" onClick={() => setConfirmDecline(false)}>
              Go back
            </Button>
          </Group>
        </Stack>
      )}
    </Stack>
  );
}

function OfferState({ view }: { view: OfferView }) {
  switch (view.offer.status) {
    case 'pending':
      return <Text>The first patient to book it gets it. If it does not suit you, let it go and you stay on the waiting list.</Text>;
    case 'accepted':
      return (
        <Alert color="teal" variant="light" role="status" title="Booked">
          {view.clinic.name} looks forward to seeing you.{' '}
          {view.manageUrl && <Anchor href={view.manageUrl}>See, confirm or change your appointment</Anchor>}
        </Alert>
      );
    case 'declined':
      return (
        <Alert color="gray" variant="light" role="status">
          You turned this time down. You are still on the waiting list.
        </Alert>
      );
    case 'expired':
      return (
        <Alert color="orange" variant="light" role="status" title="This offer has expired">
          You are still on the waiting list, and we will let you know when another time comes free.
        </Alert>
      );
    case 'gone':
      return (
        <Alert color="orange" variant="light" role="status" title="This time has been taken">
          Someone else booked it first, or it has already started. You are still on the waiting list.
        </Alert>
      );
  }
}
