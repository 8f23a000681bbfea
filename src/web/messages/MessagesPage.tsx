import { useCallback, useState } from 'react';
import { Badge, Group, Select, Stack, Tabs, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconBox, IconSearch, IconSend } from '@tabler/icons-react';
import { PageHeader } from '../common/PageHeader.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { useCursorList } from '../common/useCursorList.ts';
import { usePageTitle } from '../common/usePageTitle.ts';
import { updateSearch, useLocation } from '../router.tsx';
import { CHANNELS, fetchMessageCounts, fetchMessages, fetchMessagingSettings, PURPOSES, STATUSES, type Channel, type MessageStatus, type Purpose } from './api.ts';
import { channelName, purposeName, statusLabel } from './format.ts';
import { MessageDrawer } from './MessageDrawer.tsx';
import { MessageTable, useRefreshWhilePending } from './MessageTable.tsx';
import { SandboxList } from './SandboxList.tsx';

const pick = <T extends string>(value: string | null, allowed: readonly T[]): T | null => (value && allowed.includes(value as T) ? (value as T) : null);

function AllMessages({ onOpen, refreshKey }: { onOpen: (id: string) => void; refreshKey: number }) {
  const location = useLocation();
  const status = pick<MessageStatus>(location.search.get('status'), STATUSES);
  const channel = pick<Channel>(location.search.get('channel'), CHANNELS);
  const purpose = pick<Purpose>(location.search.get('purpose'), PURPOSES);
  const [text, setText] = useState(location.search.get('q') ?? '');
  const [q] = useDebouncedValue(text.trim(), 300);
  const loadPage = useCallback(
    (cursor: string | null, signal: AbortSignal) => fetchMessages({ status, channel, purpose, q: q || null }, cursor, signal),
    // refreshKey is not read: a new value (a retry in the drawer) makes the list load again.
    [status, channel, purpose, q, refreshKey],
  );
  const list = useCursorList(loadPage);
  useRefreshWhilePending(list);
  const counts = useApiQuery(useCallback((signal: AbortSignal) => fetchMessageCounts(signal), []));
  const countOf = (s: MessageStatus) => (counts.status === 'success' ? ` (${counts.data.counts[s]})` : '');

  return (
    <Stack gap="sm">
      <Group gap="sm" align="flex-end">
        <TextInput
          aria-label="Search messages"
          placeholder="Patient, address, subject"
          leftSection={<IconSearch size={16} aria-hidden />}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          onBlur={() => updateSearch({ q: text.trim() || null }, { replace: true })}
          w={260}
        />
        <Select
          aria-label="Status"
          placeholder="Any status"
          clearable
          data={STATUSES.map((s) => ({ value: s, label: `${statusLabel(s)}${countOf(s)}` }))}
          value={status}
          onChange={(v) => updateSearch({ status: v }, { replace: true })}
          w={240}
        />
        <Select
          aria-label="Channel"
          placeholder="Any channel"
          clearable
          data={CHANNELS.map((c) => ({ value: c, label: channelName(c) }))}
          value={channel}
          onChange={(v) => updateSearch({ channel: v }, { replace: true })}
          w={160}
        />
        <Select
          aria-label="Purpose"
          placeholder="Any purpose"
          clearable
          data={PURPOSES.map((p) => ({ value: p, label: purposeName(p) }))}
          value={purpose}
          onChange={(v) => updateSearch({ purpose: v }, { replace: true })}
          w={180}
        />
        {counts.status === 'success' && (
          <Group gap={6}>
            <Badge variant="light" color="red">
              {counts.data.counts.failed} failed
            </Badge>
            <Badge variant="light" color="orange">
              {counts.data.counts.not_sent} not sent
            </Badge>
            <Badge variant="light" color="blue">
              {counts.data.counts.scheduled + counts.data.counts.sending} waiting
            </Badge>
          </Group>
        )}
      </Group>
      <MessageTable
        list={list}
        showPatient
        onOpen={onOpen}
        empty={{ title: 'No messages', description: status || channel || purpose || q ? 'Nothing matches these filters.' : 'Reminders, follow-ups and messages staff send appear here.' }}
      />
    </Stack>
  );
}

/** Every message Rapport sent or meant to send, why each went or did not, and the sandbox of undelivered ones. */
export function MessagesPage() {
  usePageTitle('Messages');
  const location = useLocation();
  const tab = location.search.get('tab') === 'sandbox' ? 'sandbox' : 'all';
  const [open, setOpen] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const settings = useApiQuery(useCallback((signal: AbortSignal) => fetchMessagingSettings(signal), []));
  const current = settings.status === 'success' ? settings.data : null;
  const inSandbox = current !== null && (current.delivery.email === 'sandbox' || current.delivery.sms === 'sandbox');

  return (
    <Stack gap="lg" maw={1200}>
      <PageHeader
        title="Messages"
        description="Every reminder, follow-up and message to a patient: whether it went, and if not, why. Failed and held-back messages can be retried."
      />
      <Tabs value={tab} onChange={(value) => updateSearch({ tab: value === 'sandbox' ? 'sandbox' : null })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="all" leftSection={<IconSend size={16} aria-hidden />}>
            All messages
          </Tabs.Tab>
          <Tabs.Tab value="sandbox" leftSection={<IconBox size={16} aria-hidden />} rightSection={inSandbox ? <Badge size="xs" color="grape">on</Badge> : null}>
            Sandbox
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="all" pt="md">
          <AllMessages onOpen={setOpen} refreshKey={refreshKey} />
        </Tabs.Panel>
        <Tabs.Panel value="sandbox" pt="md">
          <SandboxList settings={current} onOpen={setOpen} />
        </Tabs.Panel>
      </Tabs>
      <MessageDrawer messageId={open} onClose={() => setOpen(null)} onChanged={() => setRefreshKey((n) => n + 1)} />
    </Stack>
  );
}
