import { useCallback, useEffect, useRef } from 'react';
import { Alert, Badge, Button, Group, Paper, ScrollArea, Select, Skeleton, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { errorMessage } from '../api/client.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { formatFullName } from '../patients/format.ts';
import { Link } from '../router.tsx';
import { assignConversation, fetchThread, linkConversation, markRead, setConversationOpen, type Conversation, type Thread } from './api.ts';
import { Bubbles } from './Bubbles.tsx';
import { conversationTitle, phoneOf } from './format.ts';
import { ReplyBox } from './ReplyBox.tsx';

/** How often an open thread looks for new texts and delivery reports. */
const POLL_MS = 5000;

function Heading({ c, me, onChange }: { c: Conversation; me: string; onChange: (work: () => Promise<Conversation>) => void }) {
  const mine = c.assignee?.id === me;
  return (
    <Stack gap="xs">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div>
          <Title order={2} fz="lg">
            {c.patient ? <Link href={`/patients/${c.patient.id}`}>{formatFullName(c.patient)}</Link> : conversationTitle(c)}
          </Title>
          <Text fz="sm" c="dimmed">
            {phoneOf(c)} · {c.assignee ? `Assigned to ${c.assignee.name}` : 'Unassigned'}
            {c.status === 'closed' && (
              <Badge ml="xs" size="sm" variant="light" color="gray">
                Closed
              </Badge>
            )}
          </Text>
        </div>
        <Group gap="xs" wrap="nowrap">
          <Button size="xs" variant="default" onClick={() => onChange(() => assignConversation(c.id, mine ? null : me))}>
            {mine ? 'Unassign' : 'Assign to me'}
          </Button>
          <Button size="xs" variant="default" onClick={() => onChange(() => setConversationOpen(c.id, c.status === 'closed'))}>
            {c.status === 'closed' ? 'Reopen' : 'Close'}
          </Button>
        </Group>
      </Group>
      {!c.patient && c.candidates.length > 1 && (
        <Select
          label="Household number: who is texting?"
          placeholder="Choose the patient"
          data={c.candidates.map((p) => ({ value: p.id, label: formatFullName(p) }))}
          onChange={(value) => value && onChange(() => linkConversation(c.id, value))}
          maw={360}
        />
      )}
      {!c.patient && c.candidates.length === 0 && (
        <Text fz="sm" c="dimmed">
          No patient has this number on file.
        </Text>
      )}
    </Stack>
  );
}

/**
 * One conversation: who it is with, the texts both ways, and the reply box. Opening it marks it
 * read; it looks again every few seconds for new texts and for what became of replies.
 */
export function ThreadView({ conversationId, me, onChanged }: { conversationId: string; me: string; onChanged: () => void }) {
  const thread = useApiQuery(useCallback((signal: AbortSignal) => fetchThread(conversationId, signal), [conversationId]));
  const { refresh } = thread;
  const data: Thread | null = thread.status === 'success' ? thread.data : null;
  const unread = data?.conversation.unreadCount ?? 0;
  const bottom = useRef<HTMLDivElement>(null);
  const count = data?.items.length ?? 0;

  useEffect(() => {
    const timer = window.setInterval(refresh, POLL_MS);
    return () => window.clearInterval(timer);
  }, [refresh]);

  useEffect(() => {
    if (unread === 0) return;
    markRead(conversationId).then(
      () => {
        refresh();
        onChanged();
      },
      () => undefined, // stays unread; the next look tries again
    );
  }, [conversationId, unread, refresh, onChanged]);

  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' });
  }, [count]);

  const change = (work: () => Promise<Conversation>) => {
    work().then(
      () => {
        refresh();
        onChanged();
      },
      (error: unknown) => notifications.show({ color: 'red', message: errorMessage(error) }),
    );
  };

  if (thread.status === 'loading') return <Skeleton height={320} radius="md" role="status" aria-label="Loading conversation" />;
  if (thread.status === 'error') return <ErrorAlert title="The conversation could not be loaded" error={thread.error} onRetry={thread.reload} />;
  const { conversation, items, optedOut } = thread.data;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label={`Conversation with ${conversationTitle(conversation)}`}>
      <Stack gap="md">
        <Heading c={conversation} me={me} onChange={change} />
        {optedOut && (
          <Alert color="orange" variant="light">
            This number opted out of text messages (STOP). Replies are refused until the patient texts START.
          </Alert>
        )}
        <ScrollArea.Autosize mah="55vh" type="auto">
          <Bubbles items={items} />
          <div ref={bottom} />
        </ScrollArea.Autosize>
        <ReplyBox
          key={conversation.id}
          conversationId={conversation.id}
          disabled={optedOut ? 'The patient opted out of texts. Call them instead.' : null}
          onSent={(item) => {
            // Shown at once; the next look brings its delivery status.
            thread.setData({ ...thread.data, items: [...items.filter((i) => i.id !== item.id), item] });
            refresh();
            onChanged();
          }}
        />
      </Stack>
    </Paper>
  );
}
