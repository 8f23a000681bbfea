import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Divider, Drawer, Group, Select, SimpleGrid, Stack, Switch, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { changePractitioner, createPractitioner, type PractitionerInput, type SetupPractitioner } from '../api/scheduling-setup.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { CalendarFeeds } from './CalendarFeeds.tsx';
import { ExceptionsPanel } from './ExceptionsPanel.tsx';
import { FormProblem } from './FormProblem.tsx';
import { WeeklyHoursEditor } from './WeeklyHoursEditor.tsx';
import { practitionerZone, type SetupData } from './useSetupData.ts';

const FIELDS = ['prefix', 'givenName', 'familyName', 'specialty', 'email', 'phone'] as const;
type Draft = Record<(typeof FIELDS)[number], string> & { departmentId: string | null; userId: string | null; active: boolean };

const draftOf = (p: SetupPractitioner | null): Draft => ({
  prefix: p?.prefix ?? '',
  givenName: p?.givenName ?? '',
  familyName: p?.familyName ?? '',
  specialty: p?.specialty ?? '',
  email: p?.email ?? '',
  phone: p?.phone ?? '',
  departmentId: p?.departmentId ?? null,
  userId: p?.userId ?? null,
  active: p?.active ?? true,
});

const inputOf = (d: Draft): PractitionerInput => ({
  prefix: d.prefix.trim() || null,
  givenName: d.givenName.trim(),
  familyName: d.familyName.trim(),
  specialty: d.specialty.trim() || null,
  email: d.email.trim() || null,
  phone: d.phone.trim() || null,
  departmentId: d.departmentId,
  userId: d.userId,
  active: d.active,
});

/** A practitioner's details and staff link; once saved, their weekly hours, time off, extra hours and calendar feeds. */
export function PractitionerDrawer(props: {
  data: SetupData;
  practitioner: SetupPractitioner | null;
  onClose: () => void;
  onCreated: (p: SetupPractitioner) => void;
  onSaved: () => void;
}) {
  const { data, practitioner, onClose } = props;
  const [draft, setDraft] = useState<Draft>(() => draftOf(practitioner));
  const save = useAction((input: PractitionerInput) => (practitioner ? changePractitioner(practitioner.id, input) : createPractitioner(input)));
  const errors = fieldErrorsOf(save.error);
  const text = (key: (typeof FIELDS)[number]) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setDraft((d) => ({ ...d, [key]: value }));
  };
  // A staff user already linked to someone else is not offered.
  const taken = new Set(data.practitioners.filter((p) => p.id !== practitioner?.id && p.userId).map((p) => p.userId));
  const staffOptions = data.staff.filter((s) => !taken.has(s.id)).map((s) => ({ value: s.id, label: s.displayName }));

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await save.run(inputOf(draft));
    if (!saved) return;
    notifications.show({ color: 'teal', message: `Saved ${saved.name}.` });
    if (practitioner) props.onSaved();
    else props.onCreated(saved);
  }

  return (
    <Drawer opened onClose={onClose} position="right" size="xl" title={practitioner ? practitioner.name : 'New practitioner'}>
      <form onSubmit={(event) => void handleSubmit(event)} noValidate>
        <Stack gap="sm">
          <FormProblem error={save.error} claimed={[...FIELDS, 'departmentId', 'userId']} />
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
            <TextInput label="Title" placeholder="Dr." value={draft.prefix} onChange={text('prefix')} error={errorAt(errors, 'prefix')} />
            <TextInput label="Given name" required value={draft.givenName} onChange={text('givenName')} error={errorAt(errors, 'givenName')} />
            <TextInput label="Family name" required value={draft.familyName} onChange={text('familyName')} error={errorAt(errors, 'familyName')} />
            <TextInput label="Specialty" value={draft.specialty} onChange={text('specialty')} error={errorAt(errors, 'specialty')} />
            <TextInput label="Email" type="email" value={draft.email} onChange={text('email')} error={errorAt(errors, 'email')} />
            <TextInput label="Phone" type="tel" value={draft.phone} onChange={text('phone')} error={errorAt(errors, 'phone')} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <Select
              label="Department"
              clearable
              data={data.departments.map((d) => ({ value: d.id, label: d.name }))}
              value={draft.departmentId}
              onChange={(v) => setDraft((d) => ({ ...d, departmentId: v }))}
              error={errorAt(errors, 'departmentId')}
            />
            <Select
              label="Staff user"
              description="Their sign-in, for their own calendar"
              clearable
              searchable
              data={staffOptions}
              value={draft.userId}
              onChange={(v) => setDraft((d) => ({ ...d, userId: v }))}
              error={errorAt(errors, 'userId')}
            />
          </SimpleGrid>
          <Switch label="Active (can be booked)" checked={draft.active} onChange={(e) => setDraft((d) => ({ ...d, active: e.currentTarget.checked }))} />
          <Group justify="flex-end">
            <Button type="submit" loading={save.pending}>{practitioner ? 'Save details' : 'Add practitioner'}</Button>
          </Group>
        </Stack>
      </form>
      {practitioner ? (
        <>
          <Divider my="lg" label="Weekly hours" labelPosition="left" />
          <WeeklyHoursEditor data={data} practitioner={practitioner} onSaved={props.onSaved} />
          <Divider my="lg" label="Time off and extra hours" labelPosition="left" />
          <ExceptionsPanel data={data} practitioner={practitioner} zone={practitionerZone(data, practitioner)} />
          <Divider my="lg" label="Calendar subscription" labelPosition="left" />
          <CalendarFeeds practitionerId={practitioner.id} />
        </>
      ) : (
        <Text c="dimmed" fz="sm" mt="lg">Weekly hours can be set once the practitioner is added.</Text>
      )}
    </Drawer>
  );
}
