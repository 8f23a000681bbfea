import { useCallback, useEffect, useRef, useState } from 'react';
import { Checkbox, Grid, Group, Paper, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { IconMessages } from '@tabler/icons-react';
import { useAuth } from '../auth/AuthContext.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { updateSearch, useLocation } from '../router.tsx';
import { fetchInbox, type Conversation, type InboxFilters, type InboxPage as Page } from './api.ts';
import { ConversationList, type ListState } from './ConversationList.tsx';
import { SandboxPanel } from './SandboxPanel.tsx';
import { ThreadView } from './ThreadView.tsx';

/** How often the list looks for new texts. */
const POLL_MS = 10_000;

const STATUSES = [
  { value: 'open', label: 'Open' },
  { value: 'closed', label: 'Closed' },
  { value: 'all', label: 'All' },
];
const ASSIGNED = [
  { value: 'anyone', label: 'Anyone' },
  { value: 'me', label: 'Assigned to me' },
  { value: 'unassigned', label: 'Unassigned' },
];

function filtersOf(search: URLSearchParams): InboxFilters {
  const status = search.get('status');
  const assigned = search.get('assigned');
  return {
    status: status === 'closed' || status === 'all' ? status : 'open',
    assigned: assigned === 'me' || assigned === 'unassigned' ? assigned : 'anyone',
    unread: search.get('unread') === '1',
  };
}

type Loaded = { items: Conversation[]; nextCursor: string | null; smsProvider: Page['smsProvider'] };

/** Conversations of the filters, the first page kept fresh, later pages on demand. */
function useConversations(filters: InboxFilters) {
  const [state, setState] = useState<{ status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ready'; data: Loaded; loadingMore: boolean }>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const { status, assigned, unread } = filters;
  const key = `${status}:${assigned}:${unread}`;
  const shown = useRef(key);

  useEffect(() => {
    const controller = new AbortController();
    if (shown.current !== key) {
      shown.current = key;
      setState({ status: 'loading' });
    }
    fetchInbox({ status, assigned, unread }, null, controller.signal).then(
      (page) => setState({ status: 'ready', data: page, loadingMore: false }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => (s.status === 'ready' ? s : { status: 'error', error }));
      },
    );
    return () => controller.abort();
  }, [key, status, assigned, unread, attempt]);

  const refresh = useCallback(() => setAttempt((n) => n + 1), []);
  useEffect(() => {
    const timer = window.setInterval(refresh, POLL_MS);
    return () => window.clearInterval(timer);
  }, [refresh]);

  const more = () => {
    if (state.status !== 'ready' || !state.data.nextCursor) return;
    const current = state.data;
    setState({ status: 'ready', data: current, loadingMore: true });
    fetchInbox({ status, assigned, unread }, current.nextCursor).then(
      (page) => setState({ status: 'ready', data: { ...page, items: [...current.items, ...page.items.filter((c) => !current.items.some((i) => i.id === c.id))] }, loadingMore: false }),
      () => setState({ status: 'ready', data: current, loadingMore: false }),
    );
  };
  const list: ListState =
    state.status === 'loading'
      ? { status: 'loading' }
      : state.status === 'error'
        ? { status: 'error', error: state.error, retry: refresh }
        : { status: 'ready', items: state.data.items, more: state.data.nextCursor ? more : null, loadingMore: state.loadingMore };
  return { list, smsProvider: state.status === 'ready' ? state.data.smsProvider : null, refresh };
}

/**
 * The shared inbox: every number that texted the clinic, who is looking after it, what is unread,
 * and the conversation itself with a reply box. Keywords (STOP, C, X ...) were handled already and
 * show in the thread with what was done.
 */
export function InboxPage(_props: { patientId?: string }) {
  usePageTitle('Inbox');
  const { state } = useAuth();
  const me = state.status === 'signedIn' ? state.session.user : null;
  const location = useLocation();
  const filters = filtersOf(location.search);
  const selected = location.search.get('c');
  const { list, smsProvider, refresh } = useConversations(filters);
  const select = useCallback((id: string) => updateSearch({ c: id }), []);

  return (
    <Stack gap="lg" maw={1300}>
      <PageHeader title="Inbox" description="Texts from patients to the clinic's number. Replies go out as text messages; STOP, HELP and appointment replies (C, X) are handled automatically." />
      {smsProvider === 'none' && (
        <SandboxPanel
          canSimulate={me?.role === 'admin' || me?.role === 'front_desk'}
          onSimulated={(id) => {
            refresh();
            select(id);
          }}
        />
      )}
      <Group gap="sm">
        <SegmentedControl aria-label="Which conversations" data={STATUSES} value={filters.status} onChange={(value) => updateSearch({ status: value === 'open' ? null : value })} />
        <Select
          aria-label="Assigned to"
          data={ASSIGNED}
          value={filters.assigned}
          allowDeselect={false}
          onChange={(value) => updateSearch({ assigned: !value || value === 'anyone' ? null : value })}
          w={180}
        />
        <Checkbox label="Unread only" checked={filters.unread} onChange={(event) => updateSearch({ unread: event.currentTarget.checked ? '1' : null })} />
      </Group>
      <Grid gap="md" align="flex-start">
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Paper withBorder radius="md" p={0} style={{ overflow: 'hidden' }}>
            <ConversationList state={list} selectedId={selected} onSelect={select} />
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 8 }}>
          {selected && me ? (
            <ThreadView key={selected} conversationId={selected} me={me.id} onChanged={refresh} />
          ) : (
            <Paper withBorder radius="md" p="xl">
              <Stack align="center" gap="xs" c="dimmed">
                <IconMessages aria-hidden />
                <Text fz="sm">Choose a conversation to read it and reply.</Text>
              </Stack>
            </Paper>
          )}
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
