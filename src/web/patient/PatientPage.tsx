import { useState } from 'react';
import { Alert, Anchor, Button, EmptyState, Skeleton, Stack, Tabs, Text } from '@mantine/core';
import { IconArchive, IconArrowMerge, IconCalendarEvent, IconChecklist, IconMessage, IconPill, IconCopy, IconHistory, IconId, IconTimeline, IconUserQuestion } from '@tabler/icons-react';
import { ApiError } from '../api/client.ts';
import type { PatientRecord } from '../api/patients.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { formatFullName, formatInstant } from '../patients/format.ts';
import { Link, updateSearch, useLocation } from '../router.tsx';
import { DetailsTab } from './DetailsTab.tsx';
import { DuplicatesTab } from './DuplicatesTab.tsx';
import { HistoryTab } from './HistoryTab.tsx';
import { PatientMessagesTab } from './PatientMessagesTab.tsx';
import { PatientCareTab } from './PatientCareTab.tsx';
import { PatientAppointmentsTab } from './PatientAppointmentsTab.tsx';
import { PatientHeader } from './PatientHeader.tsx';
import { PatientTasksTab } from './PatientTasksTab.tsx';
import { TimelineTab } from './timeline/TimelineTab.tsx';
import { usePatient } from './usePatient.ts';

const TABS = ['timeline', 'appointments', 'messages', 'care', 'tasks', 'details', 'history', 'duplicates'] as const;
type Tab = (typeof TABS)[number];
const isTab = (value: string | null): value is Tab => TABS.includes(value as Tab);

function NotFound() {
  return (
    <EmptyState
      mt="xl"
      icon={<IconUserQuestion aria-hidden />}
      title="This patient does not exist"
      description="The link may be wrong, or the record belongs to another clinic."
    >
      <EmptyState.Actions>
        <Button component={Link} href="/patients" variant="light">
          Find a patient
        </Button>
      </EmptyState.Actions>
    </EmptyState>
  );
}

function RecordNotice({ patient }: { patient: PatientRecord }) {
  if (patient.mergedIntoId) {
    return (
      <Alert color="grape" variant="light" icon={<IconArrowMerge aria-hidden />} title="This record was merged">
        It was merged into another record, which holds the patient’s details and timeline now.{' '}
        <Anchor component={Link} href={`/patients/${patient.mergedIntoId}`} fw={600}>
          Open the surviving record
        </Anchor>
      </Alert>
    );
  }
  if (patient.archivedAt) {
    return (
      <Alert color="gray" variant="light" icon={<IconArchive aria-hidden />} title="Archived">
        Archived {formatInstant(patient.archivedAt)}. The record is kept but does not appear in lists or search; restore it to
        bring it back.
      </Alert>
    );
  }
  return null;
}

/** Patient 360: who the patient is, every touch, tasks, the editable record, its history and duplicates. */
export function PatientPage({ patientId }: { patientId: string }) {
  const patient = usePatient(patientId);
  const location = useLocation();
  const requested = location.search.get('tab');
  const tab: Tab = isTab(requested) ? requested : 'timeline';
  usePageTitle(patient.status === 'success' ? formatFullName(patient.data) : 'Patient');
  // Bumped by a booking, so the appointments tab reads the list again.
  const [bookings, setBookings] = useState(0);

  if (patient.status === 'loading') {
    return (
      <Stack gap="md" maw={1200} role="status" aria-label="Loading the patient">
        <Skeleton height={180} radius="md" />
        <Skeleton height={40} radius="md" />
        <Skeleton height={240} radius="md" />
      </Stack>
    );
  }
  if (patient.status === 'error') {
    if (patient.error instanceof ApiError && patient.error.status === 404) return <NotFound />;
    return <ErrorAlert title="The patient could not be loaded" error={patient.error} onRetry={patient.reload} />;
  }
  const record = patient.data;
  const readOnly = record.mergedIntoId !== null;

  return (
    <Stack gap="md" maw={1200}>
      <Anchor component={Link} href="/patients" fz="sm" c="dimmed">
        ← Patients
      </Anchor>
      <RecordNotice patient={record} />
      <PatientHeader
        patient={record}
        onChanged={patient.setData}
        onStale={patient.refresh}
        onBooked={() => {
          setBookings((n) => n + 1);
          patient.refresh();
          updateSearch({ tab: 'appointments' }, { replace: true });
        }}
      />
      <Tabs value={tab} onChange={(value) => updateSearch({ tab: value === 'timeline' ? null : value }, { replace: true })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="timeline" leftSection={<IconTimeline size={16} aria-hidden />}>
            Timeline
          </Tabs.Tab>
          <Tabs.Tab value="appointments" leftSection={<IconCalendarEvent size={16} aria-hidden />}>
            Appointments
          </Tabs.Tab>
          <Tabs.Tab value="messages" leftSection={<IconMessage size={16} aria-hidden />}>
            Messages
          </Tabs.Tab>
          <Tabs.Tab value="care" leftSection={<IconPill size={16} aria-hidden />}>
            Care & billing
          </Tabs.Tab>
          <Tabs.Tab value="tasks" leftSection={<IconChecklist size={16} aria-hidden />}>
            Tasks
          </Tabs.Tab>
          <Tabs.Tab value="details" leftSection={<IconId size={16} aria-hidden />}>
            Details
          </Tabs.Tab>
          <Tabs.Tab value="history" leftSection={<IconHistory size={16} aria-hidden />}>
            History
          </Tabs.Tab>
          <Tabs.Tab value="duplicates" leftSection={<IconCopy size={16} aria-hidden />}>
            Duplicates
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="timeline" pt="md">
          {record.mergedIntoId ? (
            <Text c="dimmed">
              This record’s timeline moved to the{' '}
              <Anchor component={Link} href={`/patients/${record.mergedIntoId}`}>
                surviving record
              </Anchor>
              .
            </Text>
          ) : (
            <TimelineTab patientId={record.id} readOnly={readOnly} />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="appointments" pt="md">
          <PatientAppointmentsTab key={bookings} patientId={record.id} />
        </Tabs.Panel>
        <Tabs.Panel value="messages" pt="md">
          <PatientMessagesTab patientId={record.id} />
        </Tabs.Panel>
        <Tabs.Panel value="care" pt="md">
          <PatientCareTab patientId={record.id} />
        </Tabs.Panel>
        <Tabs.Panel value="tasks" pt="md">
          <PatientTasksTab patientId={record.id} readOnly={readOnly} />
        </Tabs.Panel>
        <Tabs.Panel value="details" pt="md">
          {readOnly ? (
            <Text c="dimmed">A merged record cannot be edited; edit the surviving record instead.</Text>
          ) : (
            // Keyed by version: a saved or reloaded record starts the form afresh from it.
            <DetailsTab key={record.version} patient={record} onSaved={patient.setData} onReload={patient.refresh} />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="history" pt="md">
          <HistoryTab patientId={record.id} />
        </Tabs.Panel>
        <Tabs.Panel value="duplicates" pt="md">
          <DuplicatesTab patientId={record.id} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
