import { useState } from 'react';
import { Button, Center, EmptyState, Grid, Skeleton, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCopyCheck } from '@tabler/icons-react';
import { useSession } from '../auth/AuthContext.tsx';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { formatFullName } from '../patients/format.ts';
import { updateSearch, useLocation } from '../router.tsx';
import { CompareRecords, type MergedPair } from './CompareRecords.tsx';
import { MergeNotice } from './MergeNotice.tsx';
import { QueueList } from './QueueList.tsx';
import { ScanButton } from './ScanButton.tsx';
import { useDuplicateQueue, useLinkedCandidate } from './useDuplicateQueue.ts';

/** The review queue of likely duplicates: compare, merge (and undo), or dismiss. */
export function DuplicateReviewPage() {
  usePageTitle('Duplicates');
  const { user } = useSession();
  const location = useLocation();
  const requestedId = location.search.get('candidate');
  const queue = useDuplicateQueue();
  const inQueue = requestedId ? queue.items.find((c) => c.id === requestedId) : undefined;
  // A pair opened from a patient's page may be further down the queue than the pages loaded.
  const linked = useLinkedCandidate(!queue.loading && !inQueue ? requestedId : null, location.search.get('patient'));
  const selected = inQueue ?? (linked.status === 'success' ? linked.data : null) ?? (requestedId ? null : queue.items[0] ?? null);
  const [lastMerge, setLastMerge] = useState<{ result: MergedPair; undone: boolean } | null>(null);

  const select = (id: string | null) => updateSearch({ candidate: id, patient: null }, { replace: true });

  return (
    <Stack gap="md" maw={1400}>
      <PageHeader
        title="Duplicates"
        description="Records that look like the same person, most alike first. Merge them into one, or mark them as different people."
        actions={user.role === 'admin' ? <ScanButton onScanned={queue.reload} /> : undefined}
      />
      {lastMerge && (
        <MergeNotice
          result={lastMerge.result}
          undone={lastMerge.undone}
          onClose={() => setLastMerge(null)}
          onUndone={() => {
            setLastMerge({ ...lastMerge, undone: true });
            queue.reload();
          }}
        />
      )}
      {queue.error !== null ? (
        <ErrorAlert title="The review queue could not be loaded" error={queue.error} onRetry={queue.reload} />
      ) : queue.loading ? (
        <Skeleton height={320} radius="md" />
      ) : queue.items.length === 0 && !selected ? (
        <EmptyState
          icon={<IconCopyCheck aria-hidden />}
          title="No likely duplicates waiting"
          description="Pairs appear here when a new record resembles an existing one, or when a scan finds them."
        />
      ) : (
        <Grid gap="md">
          <Grid.Col span={{ base: 12, md: 4 }}>
            <Stack gap="xs">
              <Text fz="sm" c="dimmed">
                {queue.items.length}
                {queue.nextCursor ? '+' : ''} open {queue.items.length === 1 ? 'pair' : 'pairs'}
              </Text>
              <QueueList items={queue.items} selectedId={selected?.id ?? null} onSelect={(c) => select(c.id)} />
              {queue.nextCursor !== null && (
                <Center>
                  <Button variant="default" size="xs" onClick={queue.loadMore} loading={queue.loadingMore}>
                    Load more
                  </Button>
                </Center>
              )}
            </Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 8 }}>
            {selected ? (
              <CompareRecords
                key={selected.id}
                candidate={selected}
                onMerged={(result) => {
                  setLastMerge({ result, undone: false });
                  select(null);
                  queue.reload();
                }}
                onDismissed={(candidate) => {
                  notifications.show({
                    color: 'gray',
                    message: `${formatFullName(candidate.patients[0])} and ${formatFullName(candidate.patients[1])} are kept as different people.`,
                  });
                  select(null);
                  queue.reload();
                }}
              />
            ) : linked.status === 'loading' && requestedId ? (
              <Skeleton height={320} radius="md" />
            ) : (
              <Text c="dimmed">This pair is no longer open for review: it was merged or dismissed. Pick another from the queue.</Text>
            )}
          </Grid.Col>
        </Grid>
      )}
    </Stack>
  );
}
