import { useState } from 'react';
import { Badge, Button, EmptyState, Group, Skeleton, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCalendarCheck } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { acceptOffer, declineOffer, type WaitlistOffer } from '../api/waitlist.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import type { ApiQuery } from '../common/useApiQuery.ts';
import { formatFullName, formatPhone } from '../patients/format.ts';
import { Link } from '../router.tsx';
import { formatWhen, zoneAbbreviation } from '../schedule/format.ts';

function OfferRow({ offer, onChanged }: { offer: WaitlistOffer; onChanged: () => void }) {
  const [pending, setPending] = useState<'accept' | 'decline' | null>(null);
  const zone = offer.slot.timeZone;

  // The row leaves the list once answered (or once the slot has gone), so the outcome is a notification.
  async function answer(kind: 'accept' | 'decline') {
    setPending(kind);
    try {
      if (kind === 'accept') await acceptOffer(offer.id);
      else await declineOffer(offer.id);
      notifications.show({
        color: 'teal',
        message: kind === 'accept' ? `Booked ${formatFullName(offer.patient)} for ${offer.slot.local}.` : `Declined for ${formatFullName(offer.patient)}.`,
      });
    } catch (error) {
      notifications.show({ color: 'red', message: errorMessage(error) });
    } finally {
      setPending(null);
    }
    onChanged();
  }

  return (
    <Table.Tr>
      <Table.Td>
        <Link href={`/patients/${offer.patient.id}`}>{formatFullName(offer.patient)}</Link>
        <Text fz="xs" c="dimmed">
          {offer.patient.phone ? formatPhone(offer.patient.phone) : 'No phone on file'}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text fz="sm">{offer.slot.local}</Text>
        <Text fz="xs" c="dimmed">
          {offer.slot.service.name} · {offer.slot.practitioner.name} · {offer.slot.location.name}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text fz="sm">
          {formatWhen(offer.expiresAt, zone)} {zoneAbbreviation(offer.expiresAt, zone)}
        </Text>
        <Badge size="xs" variant="light" color="gray">
          Batch {offer.batch}
        </Badge>
      </Table.Td>
      <Table.Td>
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <Button size="xs" loading={pending === 'accept'} disabled={pending === 'decline'} onClick={() => void answer('accept')}>
            Accept
          </Button>
          <Button size="xs" variant="default" loading={pending === 'decline'} disabled={pending === 'accept'} onClick={() => void answer('decline')}>
            Decline
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * Offers waiting for an answer. Until messages send them, staff call the patient and answer for
 * them here; the first acceptance of a slot books it and the others are told it has gone.
 */
export function OfferList({ offers }: { offers: ApiQuery<WaitlistOffer[]> }) {
  if (offers.status === 'loading') return <Skeleton height={96} radius="md" role="status" aria-label="Loading offers" />;
  if (offers.status === 'error') return <ErrorAlert title="Offers could not be loaded" error={offers.error} onRetry={offers.reload} />;
  if (offers.data.length === 0) {
    return <EmptyState icon={<IconCalendarCheck aria-hidden />} title="No offers waiting" description="When a slot frees up, the patients it suits are offered it here." py="md" />;
  }
  return (
    <Stack gap="xs">
      <Table.ScrollContainer minWidth={720}>
        <Table verticalSpacing="xs" aria-label="Pending offers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Patient</Table.Th>
              <Table.Th>Slot (clinic time)</Table.Th>
              <Table.Th>Answer by</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {offers.data.map((offer) => (
              <OfferRow key={offer.id} offer={offer} onChanged={offers.refresh} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
