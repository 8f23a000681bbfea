import { Fragment, useCallback, useState } from 'react';
import { Badge, Button, Code, Group, Skeleton, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconRefresh } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { fetchDeliveries, redeliverWebhook, type DeliveryStatus, type WebhookDelivery } from './api.ts';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const STATUS_COLOR: Record<DeliveryStatus, string> = { pending: 'yellow', sending: 'blue', delivered: 'teal', failed: 'red' };
const OUTCOME_COLOR = { delivered: 'teal', retry: 'yellow', failed: 'red' } as const;

function lastResult(d: WebhookDelivery): string {
  if (d.lastStatusCode !== null) return `HTTP ${d.lastStatusCode}`;
  return d.lastError ?? '—';
}

function Attempts({ delivery }: { delivery: WebhookDelivery }) {
  return (
    <Stack gap="xs" py="xs">
      {delivery.attemptLog.length === 0 ? (
        <Text fz="sm" c="dimmed">No attempt yet{delivery.status === 'pending' ? `: due ${when(delivery.dueAt)}` : ''}.</Text>
      ) : (
        <Table fz="xs" withTableBorder aria-label={`Attempts of ${delivery.eventType}`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Outcome</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Duration</Table.Th>
              <Table.Th>Error / response</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {delivery.attemptLog.map((a) => (
              <Table.Tr key={a.attempt}>
                <Table.Td>{a.attempt}</Table.Td>
                <Table.Td>{when(a.startedAt)}</Table.Td>
                <Table.Td><Badge size="xs" color={OUTCOME_COLOR[a.outcome]} variant="light">{a.outcome}</Badge></Table.Td>
                <Table.Td>{a.statusCode ?? '—'}</Table.Td>
                <Table.Td>{a.durationMs} ms</Table.Td>
                <Table.Td style={{ wordBreak: 'break-word' }}>{[a.error, a.responseBody].filter(Boolean).join(' · ') || '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {delivery.status === 'pending' && delivery.attemptLog.length > 0 && <Text fz="xs" c="dimmed">Next attempt due {when(delivery.dueAt)}.</Text>}
      <Code block fz="xs">{delivery.body}</Code>
    </Stack>
  );
}

/** A subscription's deliveries, newest first: each with its attempts and body, and a way to send it again. */
export function DeliveryLog({ subscriptionId }: { subscriptionId: string }) {
  const log = useApiQuery(useCallback((signal: AbortSignal) => fetchDeliveries(subscriptionId, null, signal), [subscriptionId]));
  const [open, setOpen] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function redeliver(d: WebhookDelivery) {
    setBusy(d.id);
    try {
      await redeliverWebhook(d.id);
      notifications.show({ color: 'teal', message: `${d.eventType} will be sent again.` });
      log.refresh();
    } catch (error) {
      notifications.show({ color: 'red', message: errorMessage(error) });
    } finally {
      setBusy(null);
    }
  }

  if (log.status === 'loading') return <Skeleton height={120} radius="md" role="status" aria-label="Loading the delivery log" />;
  if (log.status === 'error') return <ErrorAlert title="The delivery log could not be loaded" error={log.error} onRetry={log.reload} />;
  const items = log.data.items;
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Text fw={600} fz="sm">Delivery log</Text>
        <Button size="compact-sm" variant="subtle" leftSection={<IconRefresh size={14} aria-hidden />} onClick={log.refresh}>Refresh</Button>
      </Group>
      {items.length === 0 ? (
        <Text fz="sm" c="dimmed">Nothing sent yet. Events this webhook subscribes to appear here as they happen.</Text>
      ) : (
        <Table verticalSpacing={4} fz="sm" aria-label="Delivery log">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Event</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Attempts</Table.Th>
              <Table.Th>Last result</Table.Th>
              <Table.Th>Occurred</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((d) => (
              <Fragment key={d.id}>
                <Table.Tr>
                  <Table.Td><Code>{d.eventType}</Code></Table.Td>
                  <Table.Td><Badge color={STATUS_COLOR[d.status]} variant="light">{d.status}</Badge></Table.Td>
                  <Table.Td>{d.attemptLog.length}</Table.Td>
                  <Table.Td>{lastResult(d)}</Table.Td>
                  <Table.Td>{when(d.occurredAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Button size="compact-xs" variant="subtle" onClick={() => setOpen(open === d.id ? null : d.id)} aria-expanded={open === d.id}>
                        {open === d.id ? 'Hide attempts' : 'Attempts'}
                      </Button>
                      {(d.status === 'delivered' || d.status === 'failed') && (
                        <Button size="compact-xs" variant="light" loading={busy === d.id} onClick={() => void redeliver(d)}>Redeliver</Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
                {open === d.id && (
                  <Table.Tr>
                    <Table.Td colSpan={6}><Attempts delivery={d} /></Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
