import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Anchor, Badge, Button, CopyButton, Group, Paper, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCalendarShare, IconCheck, IconCopy, IconLock } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { createCalendarFeed, fetchCalendarFeeds, revokeCalendarFeed, type CalendarFeed, type NewCalendarFeed } from '../api/scheduling-setup.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { FormProblem } from './FormProblem.tsx';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** The same feed for apps that subscribe through the webcal: scheme (Apple Calendar, Outlook). */
export const webcalUrl = (url: string) => url.replace(/^https?:\/\//, 'webcal://');
const feedName = (f: { label: string | null }) => f.label ?? 'Calendar feed';

/** A URL in a read-only field with a button copying it. */
function CopyField({ label, value }: { label: string; value: string }) {
  return (
    <Group gap="xs" align="flex-end" wrap="nowrap">
      <TextInput label={label} value={value} readOnly style={{ flex: 1 }} onFocus={(e) => e.currentTarget.select()} />
      <CopyButton value={value} timeout={2000}>
        {({ copied, copy }) => (
          <Button
            variant={copied ? 'filled' : 'light'}
            color={copied ? 'teal' : undefined}
            leftSection={copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
            onClick={copy}
            aria-label={copied ? `Copied ${label}` : `Copy ${label}`}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

/** The link of a feed just made, shown this once: copy it, or open it in a calendar app. */
function NewFeedLink({ feed, onDone }: { feed: NewCalendarFeed; onDone: () => void }) {
  const webcal = webcalUrl(feed.url);
  return (
    <Alert color="teal" variant="light" icon={<IconLock aria-hidden />} title={`${feedName(feed)} created`}>
      <Stack gap="xs">
        <Text fz="sm">
          Copy this link now: it is shown only once. Add it to a calendar app as a subscription (“From URL” in Google Calendar).
        </Text>
        <CopyField label="Calendar feed URL" value={feed.url} />
        <Group gap="xs">
          <Anchor href={webcal} fz="sm">
            Subscribe in Apple Calendar / Outlook
          </Anchor>
          <CopyButton value={webcal} timeout={2000}>
            {({ copied, copy }) => (
              <Button size="compact-xs" variant="subtle" onClick={copy}>
                {copied ? 'Copied webcal:// link' : 'Copy webcal:// link'}
              </Button>
            )}
          </CopyButton>
        </Group>
        <Text fz="sm" c="dimmed">
          This link is private: anyone who has it can see these appointments, patient names included, without signing in. Do not share it.
          If it is lost, or a device is no longer used, revoke the feed below and its link stops working at once.
        </Text>
        <Group justify="flex-end">
          <Button size="xs" variant="default" onClick={onDone}>
            Done
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

/** One feed: when it was made and last read, and a revoke button asking for confirmation. */
function FeedRow({ feed, revoking, onRevoke }: { feed: CalendarFeed; revoking: boolean; onRevoke: () => Promise<boolean> }) {
  const [confirming, setConfirming] = useState(false);
  const name = feedName(feed);
  return (
    <Paper withBorder radius="md" p="xs">
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Stack gap={0}>
          <Group gap="xs">
            <Text fz="sm" fw={600} c={feed.revokedAt ? 'dimmed' : undefined}>{name}</Text>
            {feed.revokedAt ? <Badge variant="light" color="gray">Revoked</Badge> : <Badge variant="light" color="teal">Active</Badge>}
          </Group>
          <Text fz="xs" c="dimmed">
            Created {when(feed.createdAt)}
            {feed.createdBy ? ` by ${feed.createdBy.name}` : ''} · {feed.lastUsedAt ? `last used ${when(feed.lastUsedAt)}` : 'never used'}
            {feed.revokedAt ? ` · revoked ${when(feed.revokedAt)}` : ''}
          </Text>
        </Stack>
        {!feed.revokedAt && !confirming && (
          <Button size="xs" variant="subtle" color="red" aria-label={`Revoke ${name}`} onClick={() => setConfirming(true)}>
            Revoke
          </Button>
        )}
      </Group>
      {!feed.revokedAt && confirming && (
        <Group justify="space-between" mt="xs" gap="xs">
          <Text fz="sm">Revoke this feed? Calendars subscribed to it stop updating, and it cannot be turned back on.</Text>
          <Group gap="xs">
            <Button
              size="xs"
              color="red"
              loading={revoking}
              onClick={() => void onRevoke().then((done) => done && setConfirming(false))}
            >
              Revoke feed
            </Button>
            <Button size="xs" variant="default" onClick={() => setConfirming(false)}>
              Keep it
            </Button>
          </Group>
        </Group>
      )}
    </Paper>
  );
}

/**
 * A practitioner's private calendar subscription feeds: make one (its URL shown once, to copy or
 * open in a calendar app), see when each was last read, and revoke one.
 */
export function CalendarFeeds({ practitionerId }: { practitionerId: string }) {
  const feeds = useApiQuery(useCallback((signal: AbortSignal) => fetchCalendarFeeds(practitionerId, signal), [practitionerId]));
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<NewCalendarFeed | null>(null);
  const create = useAction((text: string) => createCalendarFeed(practitionerId, text.trim() || null));
  const revoke = useAction(async (feedId: string) => {
    await revokeCalendarFeed(practitionerId, feedId);
    return true;
  });
  const errors = fieldErrorsOf(create.error);

  async function handleCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const feed = await create.run(label);
    if (!feed) return;
    setCreated(feed);
    setLabel('');
    feeds.refresh();
  }

  async function handleRevoke(feed: CalendarFeed): Promise<boolean> {
    const done = await revoke.run(feed.id);
    if (!done) return false;
    if (created?.id === feed.id) setCreated(null);
    notifications.show({ color: 'teal', message: `Revoked ${feedName(feed)}: its link no longer works.` });
    feeds.refresh();
    return true;
  }

  return (
    <Stack gap="sm">
      <Text fz="sm" c="dimmed">
        A private link that keeps a calendar app (phone, Google Calendar, Outlook) up to date with this practitioner’s appointments, from 30 days back to a
        year ahead. Make one per device, so each can be revoked on its own.
      </Text>
      {created && <NewFeedLink feed={created} onDone={() => setCreated(null)} />}
      <form onSubmit={(event) => void handleCreate(event)} noValidate>
        <Stack gap="xs">
          <FormProblem error={create.error} claimed={['label']} />
          <Group gap="xs" align="flex-end" wrap="nowrap">
            <TextInput
              label="Feed label"
              description="Optional, e.g. “Work phone”"
              value={label}
              maxLength={100}
              onChange={(e) => setLabel(e.currentTarget.value)}
              error={errorAt(errors, 'label')}
              style={{ flex: 1 }}
            />
            <Button type="submit" variant="light" leftSection={<IconCalendarShare size={16} aria-hidden />} loading={create.pending}>
              New calendar feed
            </Button>
          </Group>
        </Stack>
      </form>
      {revoke.error !== null && <Text c="red" fz="sm">{errorMessage(revoke.error)}</Text>}
      {feeds.status === 'loading' && <Skeleton height={48} radius="md" />}
      {feeds.status === 'error' && <ErrorAlert title="Calendar feeds could not be loaded" error={feeds.error} onRetry={feeds.reload} />}
      {feeds.status === 'success' && feeds.data.length === 0 && <Text c="dimmed" fz="sm">No calendar feeds yet.</Text>}
      {feeds.status === 'success' &&
        feeds.data.map((f) => <FeedRow key={f.id} feed={f} revoking={revoke.pending} onRevoke={() => handleRevoke(f)} />)}
    </Stack>
  );
}
