import { useState } from 'react';
import { Button, Center, Chip, EmptyState, Group, Loader, Paper, SegmentedControl, Stack, Text, Timeline } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconTimeline } from '@tabler/icons-react';
import { ErrorAlert } from '../../common/ErrorAlert.tsx';
import { CallForm } from './CallForm.tsx';
import { KIND_FILTERS } from './kinds.ts';
import { NoteForm } from './NoteForm.tsx';
import { TimelineBullet, TimelineEntry } from './TimelineEntry.tsx';
import { usePatientTimeline } from './usePatientTimeline.ts';

function Composer({ patientId, onAdded }: { patientId: string; onAdded: (what: string) => void }) {
  const [mode, setMode] = useState<'note' | 'call'>('note');
  return (
    <Paper withBorder radius="md" p="md">
      <Stack gap="sm">
        <SegmentedControl
          size="xs"
          style={{ alignSelf: 'flex-start' }}
          value={mode}
          onChange={(value) => setMode(value === 'call' ? 'call' : 'note')}
          data={[
            { value: 'note', label: 'Add note' },
            { value: 'call', label: 'Log call' },
          ]}
          aria-label="What to add"
        />
        {mode === 'note' ? (
          <NoteForm patientId={patientId} onAdded={() => onAdded('Note added')} />
        ) : (
          <CallForm patientId={patientId} onAdded={() => onAdded('Call logged')} />
        )}
      </Stack>
    </Paper>
  );
}

/** Every touch with the patient, newest first, filtered by kind, with notes and calls added here. */
export function TimelineTab({ patientId, readOnly }: { patientId: string; readOnly: boolean }) {
  const [kinds, setKinds] = useState<string[]>([]);
  const timeline = usePatientTimeline(patientId, kinds);

  return (
    <Stack gap="md">
      {!readOnly && (
        <Composer
          patientId={patientId}
          onAdded={(message) => {
            notifications.show({ color: 'teal', message });
            timeline.reload();
          }}
        />
      )}
      <Group gap="xs" aria-label="Show kinds of events" role="group">
        <Chip size="sm" checked={kinds.length === 0} onChange={() => setKinds([])}>
          Everything
        </Chip>
        <Chip.Group multiple value={kinds} onChange={setKinds}>
          {KIND_FILTERS.map((k) => (
            <Chip key={k.value} value={k.value} size="sm">
              {k.label}
            </Chip>
          ))}
        </Chip.Group>
      </Group>

      {timeline.error !== null ? (
        <ErrorAlert title="The timeline could not be loaded" error={timeline.error} onRetry={timeline.reload} />
      ) : timeline.loading ? (
        <Center py="xl">
          <Loader size="sm" />
        </Center>
      ) : timeline.items.length === 0 ? (
        <EmptyState
          icon={<IconTimeline aria-hidden />}
          title={kinds.length ? 'Nothing of these kinds yet' : 'Nothing on the timeline yet'}
          description="Notes, calls, tasks, appointments and messages appear here as they happen."
        />
      ) : (
        <Paper withBorder radius="md" p="lg" component="section" aria-label="Timeline">
          <Timeline bulletSize={26} lineWidth={2}>
            {timeline.items.map((item) => (
              <Timeline.Item key={item.id} bullet={<TimelineBullet item={item} />}>
                <TimelineEntry item={item} />
              </Timeline.Item>
            ))}
          </Timeline>
        </Paper>
      )}
      {timeline.loadMoreError !== null && (
        <ErrorAlert title="Older events could not be loaded" error={timeline.loadMoreError} onRetry={timeline.loadMore} />
      )}
      {timeline.nextCursor !== null && timeline.error === null && (
        <Center>
          <Button variant="default" onClick={timeline.loadMore} loading={timeline.loadingMore}>
            Load older events
          </Button>
        </Center>
      )}
      {timeline.items.length > 0 && timeline.nextCursor === null && (
        <Text ta="center" fz="xs" c="dimmed">
          That is everything.
        </Text>
      )}
    </Stack>
  );
}
