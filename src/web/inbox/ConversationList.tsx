import { Badge, Button, EmptyState, Group, Skeleton, Stack, Text, UnstyledButton } from '@mantine/core';
import { IconMessageCircle } from '@tabler/icons-react';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import type { Conversation } from './api.ts';
import { conversationTitle, phoneOf, shortWhen } from './format.ts';

export type ListState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown; retry: () => void }
  | { status: 'ready'; items: Conversation[]; more: (() => void) | null; loadingMore: boolean };

function Row({ c, selected, onSelect }: { c: Conversation; selected: boolean; onSelect: (id: string) => void }) {
  const unread = c.unreadCount > 0;
  const title = conversationTitle(c);
  return (
    <UnstyledButton
      display="block"
      w="100%"
      px="sm"
      py="xs"
      bg={selected ? 'var(--mantine-color-blue-light)' : undefined}
      style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}
      aria-current={selected ? 'true' : undefined}
      aria-label={`${title}${unread ? `, ${c.unreadCount} unread` : ''}`}
      onClick={() => onSelect(c.id)}
    >
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text fz="sm" fw={unread ? 700 : 500} truncate>
          {title}
        </Text>
        <Group gap={6} wrap="nowrap">
          {unread && (
            <Badge size="sm" circle color="blue" aria-hidden>
              {c.unreadCount}
            </Badge>
          )}
          <Text fz="xs" c="dimmed">
            {shortWhen(c.lastMessageAt)}
          </Text>
        </Group>
      </Group>
      <Text fz="xs" c="dimmed">
        {phoneOf(c)}
        {!c.patient && c.candidates.length > 1 ? ' · household' : ''}
        {c.status === 'closed' ? ' · closed' : ''}
      </Text>
      <Text fz="sm" fw={unread ? 600 : 400} c={unread ? undefined : 'dimmed'} lineClamp={1}>
        {c.preview ?? ''}
      </Text>
      <Text fz="xs" c="dimmed">
        {c.assignee ? `Assigned to ${c.assignee.name}` : 'Unassigned'}
      </Text>
    </UnstyledButton>
  );
}

/** The conversations, latest first; unread ones in bold with their count. */
export function ConversationList({ state, selectedId, onSelect }: { state: ListState; selectedId: string | null; onSelect: (id: string) => void }) {
  if (state.status === 'loading') return <Skeleton height={240} radius="md" role="status" aria-label="Loading conversations" />;
  if (state.status === 'error') return <ErrorAlert title="Conversations could not be loaded" error={state.error} onRetry={state.retry} />;
  if (state.items.length === 0) {
    return <EmptyState icon={<IconMessageCircle aria-hidden />} title="No conversations here" description="Texts patients send to the clinic's number arrive here." py="md" />;
  }
  return (
    <Stack gap={0} role="list" aria-label="Conversations">
      {state.items.map((c) => (
        <div role="listitem" key={c.id}>
          <Row c={c} selected={c.id === selectedId} onSelect={onSelect} />
        </div>
      ))}
      {state.more && (
        <Button variant="subtle" size="xs" mt="xs" loading={state.loadingMore} onClick={state.more}>
          Load more
        </Button>
      )}
    </Stack>
  );
}
