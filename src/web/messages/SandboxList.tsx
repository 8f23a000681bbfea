import { useCallback } from 'react';
import { Alert, Anchor, Badge, Button, Center, EmptyState, Group, Paper, Skeleton, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconInbox } from '@tabler/icons-react';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useCursorList } from '../common/useCursorList.ts';
import { fetchMessages, type Message, type MessagingSettings } from './api.ts';
import { channelName, formatMoment, purposeName } from './format.ts';

export const SANDBOX_WARNING =
  'These messages were NOT delivered. No email or SMS provider is configured, so Rapport keeps them here to show what patients would receive.';

function SandboxCard({ message, onOpen }: { message: Message; onOpen: (id: string) => void }) {
  return (
    <Paper withBorder radius="md" p="md" data-message-id={message.id}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={2}>
          <Group gap="xs">
            <Badge color="grape" variant="light">
              Not delivered
            </Badge>
            <Badge color="gray" variant="outline">
              {channelName(message.channel)}
            </Badge>
            <Text fz="xs" c="dimmed">
              {purposeName(message.purpose)} · {formatMoment(message.sentAt)}
            </Text>
          </Group>
          <Text fz="sm">
            To {message.patient?.name ?? 'an unknown number'}
            {message.to ? ` (${message.to})` : ''}
          </Text>
        </Stack>
        <Button size="xs" variant="default" onClick={() => onOpen(message.id)}>
          Open
        </Button>
      </Group>
      {message.subject && (
        <Text fw={600} fz="sm" mt="sm">
          {message.subject}
        </Text>
      )}
      <Text fz="sm" mt={message.subject ? 4 : 'sm'} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
        {message.preview ?? ''}
        {message.preview && message.preview.length >= 300 ? '…' : ''}
      </Text>
    </Paper>
  );
}

/** What would have gone to patients had a provider been configured: kept, clearly marked, never delivered. */
export function SandboxList({ settings, onOpen }: { settings: MessagingSettings | null; onOpen: (id: string) => void }) {
  const loadPage = useCallback((cursor: string | null, signal: AbortSignal) => fetchMessages({ status: 'sandboxed' }, cursor, signal), []);
  const list = useCursorList(loadPage);
  const sandboxed = settings ? [settings.delivery.email === 'sandbox' && 'email (no SMTP_URL on the server)', settings.delivery.sms === 'sandbox' && 'SMS (no provider in Clinic setup > Communications)'].filter(Boolean) : [];

  return (
    <Stack gap="md">
      <Alert color="red" variant="filled" icon={<IconAlertTriangle aria-hidden />} title="Sandbox: not delivered">
        {SANDBOX_WARNING}
        {sandboxed.length > 0 && <Text fz="sm" mt={4}>Going to the sandbox now: {sandboxed.join('; ')}.</Text>}
      </Alert>
      <Group justify="flex-end">
        <Button variant="default" size="xs" onClick={list.reload}>
          Refresh
        </Button>
      </Group>
      {list.error !== null && <ErrorAlert title="The sandbox could not be loaded" error={list.error} onRetry={list.reload} />}
      {list.loading && <Skeleton height={160} radius="md" role="status" aria-label="Loading the sandbox" />}
      {!list.loading && list.error === null && list.items.length === 0 && (
        <EmptyState icon={<IconInbox aria-hidden />} title="The sandbox is empty" description="Messages Rapport would have sent without a provider appear here." py="md" />
      )}
      {list.items.map((m) => (
        <SandboxCard key={m.id} message={m} onOpen={onOpen} />
      ))}
      {list.loadMoreError !== null && <ErrorAlert title="More messages could not be loaded" error={list.loadMoreError} onRetry={list.loadMore} />}
      {list.nextCursor && (
        <Center>
          <Anchor component="button" type="button" onClick={list.loadMore}>
            {list.loadingMore ? 'Loading…' : 'Show older messages'}
          </Anchor>
        </Center>
      )}
    </Stack>
  );
}
