import { useCallback, useState } from 'react';
import type { ReactNode } from 'react';
import { Alert, Anchor, Badge, Button, Drawer, Group, Paper, SegmentedControl, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconRefresh } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { Link } from '../router.tsx';
import { fetchMessage, retryMessage, type MessageDetail } from './api.ts';
import { addressOf, ATTEMPT_OUTCOMES, channelName, formatMoment, messageTitle, purposeName, statusColor, statusLabel, statusLine } from './format.ts';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <Text fz="sm" c="dimmed" w={110} style={{ flexShrink: 0 }}>
        {label}
      </Text>
      <Text fz="sm" component="div" style={{ wordBreak: 'break-word' }}>
        {children}
      </Text>
    </Group>
  );
}

/** The text (or the HTML, in a sandboxed frame with no scripts) exactly as the patient got it. */
function Body({ message }: { message: MessageDetail }) {
  const [view, setView] = useState<'text' | 'html'>('text');
  if (message.bodyText === null) {
    return (
      <Text fz="sm" c="dimmed">
        {message.template
          ? `The text is filled in from the template “${message.template.name ?? message.template.key}” when it is sent.`
          : 'There is no text for this message.'}
      </Text>
    );
  }
  return (
    <Stack gap="xs">
      {message.bodyHtml && (
        <SegmentedControl
          size="xs"
          value={view}
          onChange={(v) => setView(v as 'text' | 'html')}
          data={[{ value: 'text', label: 'Text' }, { value: 'html', label: 'As the email shows it' }]}
          aria-label="Show the message as"
        />
      )}
      {view === 'html' && message.bodyHtml ? (
        <iframe title="The email as sent" sandbox="" srcDoc={message.bodyHtml} style={{ width: '100%', height: 360, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8 }} />
      ) : (
        <Paper withBorder radius="md" p="sm" bg="gray.0">
          <Text fz="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid="message-body">
            {message.bodyText}
          </Text>
        </Paper>
      )}
    </Stack>
  );
}

function Attempts({ message }: { message: MessageDetail }) {
  if (!message.attemptLog.length) {
    return (
      <Text fz="sm" c="dimmed">
        No attempt yet{message.status === 'not_sent' ? ': Rapport decided not to send it before trying.' : '.'}
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table verticalSpacing={6} aria-label="Attempts">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>When</Table.Th>
            <Table.Th>Outcome</Table.Th>
            <Table.Th>Provider said</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {message.attemptLog.map((a, i) => (
            <Table.Tr key={`${a.attempt}-${a.startedAt}-${i}`}>
              <Table.Td>{a.attempt}</Table.Td>
              <Table.Td>
                <Text fz="sm">{formatMoment(a.finishedAt)}</Text>
                {a.provider && (
                  <Text fz="xs" c="dimmed">
                    {a.provider}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{ATTEMPT_OUTCOMES[a.outcome] ?? a.outcome}</Table.Td>
              <Table.Td>
                <Text fz="xs" style={{ wordBreak: 'break-word' }}>
                  {a.detail ?? '—'}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function Detail({ message, onRetried }: { message: MessageDetail; onRetried: (m: MessageDetail) => void }) {
  const [retrying, setRetrying] = useState(false);
  async function retry() {
    setRetrying(true);
    try {
      const updated = await retryMessage(message.id);
      notifications.show({ color: 'teal', message: 'Scheduled again: it goes as soon as the rules allow.' });
      onRetried(updated);
    } catch (error) {
      notifications.show({ color: 'red', message: errorMessage(error) });
    } finally {
      setRetrying(false);
    }
  }
  const line = statusLine(message);
  return (
    <Stack gap="md">
      <Group gap="xs">
        <Badge color={statusColor(message.status)} variant="light">
          {statusLabel(message.status)}
        </Badge>
        <Badge color="gray" variant="outline">
          {channelName(message.channel)}
        </Badge>
        <Badge color="gray" variant="outline">
          {purposeName(message.purpose)}
        </Badge>
        {message.urgent && <Badge color="red">Urgent</Badge>}
      </Group>
      {message.status === 'sandboxed' && (
        <Alert color="grape" variant="light" icon={<IconAlertTriangle aria-hidden />} title="Not delivered">
          No {message.channel === 'email' ? 'email' : 'SMS'} provider is configured, so this message was kept here and never reached the patient.
        </Alert>
      )}
      {line && (
        <Text fz="sm" fw={500} c={message.status === 'failed' ? 'red' : message.status === 'not_sent' ? 'orange.8' : undefined}>
          {line}
        </Text>
      )}
      {message.retryable && (
        <Group>
          <Button leftSection={<IconRefresh size={16} aria-hidden />} loading={retrying} onClick={() => void retry()}>
            Retry
          </Button>
          <Text fz="xs" c="dimmed">
            Every rule (consent, address, quiet hours, caps) is checked again before it goes.
          </Text>
        </Group>
      )}
      <Stack gap={4}>
        <Fact label="Patient">{message.patient ? <Anchor component={Link} href={`/patients/${message.patient.id}?tab=messages`}>{message.patient.name}</Anchor> : '—'}</Fact>
        <Fact label="To">{addressOf(message)}</Fact>
        <Fact label="Due">{formatMoment(message.dueAt)}</Fact>
        {message.expiresAt && <Fact label="Not after">{formatMoment(message.expiresAt)}</Fact>}
        <Fact label="Sent">{formatMoment(message.sentAt)}</Fact>
        {message.deliveredAt && <Fact label="Delivered">{formatMoment(message.deliveredAt)}</Fact>}
        {message.readAt && <Fact label="Read">{formatMoment(message.readAt)}</Fact>}
        <Fact label="From">{message.journey ? `Journey “${message.journey.name}”` : message.createdBy.name ? `Written by ${message.createdBy.name}` : 'Rapport'}</Fact>
        {message.template && <Fact label="Template">{message.template.name ?? message.template.key}</Fact>}
      </Stack>
      <Title order={3} fz="sm">
        {message.subject ? `Subject: ${message.subject}` : 'As sent'}
      </Title>
      <Body message={message} />
      <Title order={3} fz="sm">
        Attempts
      </Title>
      <Attempts message={message} />
      {message.journeyRun && (
        <Stack gap={4}>
          <Title order={3} fz="sm">
            Journey run
          </Title>
          <Text fz="sm">
            {message.journey?.name ?? 'Journey'}: {message.journeyRun.status}, {message.journeyRun.stepsDone} step(s) done
            {message.journeyRun.reason ? ` (${message.journeyRun.reason})` : ''}
          </Text>
          {message.journeyRun.lastError && (
            <Text fz="xs" c="red">
              {message.journeyRun.lastError}
            </Text>
          )}
          {message.journeyRun.steps.map((s, i) => (
            <Text key={`${s.at}-${i}`} fz="xs" c="dimmed">
              {formatMoment(s.at)} · {s.stepType}: {s.outcome}
            </Text>
          ))}
        </Stack>
      )}
    </Stack>
  );
}

/** One message: what was sent (or would have been), to whom, why it stands where it does, each attempt, and a retry. */
export function MessageDrawer({ messageId, onClose, onChanged }: { messageId: string | null; onClose: () => void; onChanged?: () => void }) {
  const load = useCallback((signal: AbortSignal) => (messageId ? fetchMessage(messageId, signal) : Promise.resolve(null)), [messageId]);
  const message = useApiQuery(load);
  return (
    <Drawer opened={messageId !== null} onClose={onClose} position="right" size="lg" title={message.status === 'success' && message.data ? messageTitle(message.data) : 'Message'}>
      {message.status === 'loading' && <Skeleton height={320} radius="md" role="status" aria-label="Loading the message" />}
      {message.status === 'error' && <ErrorAlert title="The message could not be loaded" error={message.error} onRetry={message.reload} />}
      {message.status === 'success' && message.data && (
        <Detail
          message={message.data}
          onRetried={(updated) => {
            message.setData(updated);
            onChanged?.();
          }}
        />
      )}
    </Drawer>
  );
}
