import { useEffect, useRef } from 'react';
import { Anchor, Badge, Button, Center, EmptyState, Group, Skeleton, Stack, Table, Text } from '@mantine/core';
import { IconMailOff } from '@tabler/icons-react';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import type { useCursorList } from '../common/useCursorList.ts';
import type { Message } from './api.ts';
import { channelName, formatMoment, isPending, messageTitle, purposeName, statusColor, statusLabel, statusLine } from './format.ts';

type MessageList = ReturnType<typeof useCursorList<Message>>;

const POLL_MS = 2_000;
const MAX_POLLS = 30;

/**
 * Reads the list again every couple of seconds while a message shown is about to go (due now,
 * or being sent), so staff see it become sent, sandboxed or refused without reloading; stops after
 * a minute in case no worker is running.
 */
export function useRefreshWhilePending(list: MessageList): void {
  const polls = useRef(0);
  const pending = list.items.some((m) => isPending(m));
  const { reload, loading } = list;
  useEffect(() => {
    if (!pending || loading) {
      if (!pending) polls.current = 0;
      return;
    }
    if (polls.current >= MAX_POLLS) return;
    const timer = setTimeout(() => {
      polls.current += 1;
      reload();
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [pending, loading, reload, list.items]);
}

function Row({ message, showPatient, onOpen }: { message: Message; showPatient: boolean; onOpen: (id: string) => void }) {
  const line = statusLine(message);
  return (
    <Table.Tr style={{ cursor: 'pointer' }} onClick={() => onOpen(message.id)} data-message-id={message.id}>
      <Table.Td>
        <Anchor
          component="button"
          type="button"
          fz="sm"
          fw={500}
          c="inherit"
          ta="left"
          onClick={(event) => {
            event.stopPropagation();
            onOpen(message.id);
          }}
        >
          {messageTitle(message)}
        </Anchor>
        <Text fz="xs" c="dimmed">
          {channelName(message.channel)} · {purposeName(message.purpose)}
          {message.journey ? ` · ${message.journey.name}` : message.createdBy.name ? ` · by ${message.createdBy.name}` : ''}
        </Text>
      </Table.Td>
      {showPatient && (
        <Table.Td>
          <Text fz="sm">{message.patient?.name ?? '—'}</Text>
          <Text fz="xs" c="dimmed">
            {message.channel === 'in_app' ? 'In-app' : (message.to ?? '')}
          </Text>
        </Table.Td>
      )}
      <Table.Td>
        <Badge color={statusColor(message.status)} variant="light">
          {statusLabel(message.status)}
        </Badge>
        {line && (
          <Text fz="xs" c={message.status === 'failed' ? 'red' : 'dimmed'} mt={2}>
            {line}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Text fz="sm">{formatMoment(message.sentAt ?? message.dueAt)}</Text>
        <Text fz="xs" c="dimmed">
          {message.sentAt ? 'sent' : 'due'}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}

/** Messages in a table, newest first: what, to whom, where each stands and why; a click opens one. */
export function MessageTable({ list, showPatient, onOpen, empty }: { list: MessageList; showPatient: boolean; onOpen: (id: string) => void; empty: { title: string; description: string } }) {
  if (list.error !== null) return <ErrorAlert title="Messages could not be loaded" error={list.error} onRetry={list.reload} />;
  if (list.loading) return <Skeleton height={160} radius="md" role="status" aria-label="Loading messages" />;
  if (list.items.length === 0) return <EmptyState icon={<IconMailOff aria-hidden />} title={empty.title} description={empty.description} py="md" />;
  return (
    <Stack gap="xs">
      <Table.ScrollContainer minWidth={720}>
        <Table verticalSpacing="xs" highlightOnHover aria-label="Messages">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Message</Table.Th>
              {showPatient && <Table.Th>Patient</Table.Th>}
              <Table.Th>Status</Table.Th>
              <Table.Th>When</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((m) => (
              <Row key={m.id} message={m} showPatient={showPatient} onOpen={onOpen} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.loadMoreError !== null && <ErrorAlert title="More messages could not be loaded" error={list.loadMoreError} onRetry={list.loadMore} />}
      {list.nextCursor && (
        <Center>
          <Group>
            <Button variant="default" loading={list.loadingMore} onClick={list.loadMore}>
              Show older messages
            </Button>
          </Group>
        </Center>
      )}
    </Stack>
  );
}
