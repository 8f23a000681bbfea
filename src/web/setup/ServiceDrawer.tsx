import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Divider, Drawer, Group, MultiSelect, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Switch, Text, TextInput, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { changeService, createService, type ServiceEligibility, type ServiceInput, type ServiceMode, type SetupService } from '../api/scheduling-setup.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { FormProblem } from './FormProblem.tsx';
import { locationOptions, type SetupData } from './useSetupData.ts';

type Num = number | '';
interface Draft {
  name: string;
  description: string;
  careInstructions: string;
  departmentId: string | null;
  durationMinutes: Num;
  bufferBeforeMinutes: Num;
  bufferAfterMinutes: Num;
  slotIntervalMinutes: Num;
  mode: ServiceMode;
  eligibility: ServiceEligibility;
  price: Num;
  currency: string;
  requiresRoom: boolean;
  minNoticeHours: Num;
  maxAdvanceDays: Num;
  maxFutureBookings: Num;
  publicBooking: boolean;
  active: boolean;
  practitionerIds: string[];
  locationIds: string[];
}

const orEmpty = (v: number | null): Num => (v === null ? '' : v);
const orNull = (v: Num): number | null => (v === '' ? null : v);

function draftOf(s: SetupService | null): Draft {
  return {
    name: s?.name ?? '',
    description: s?.description ?? '',
    careInstructions: s?.careInstructions ?? '',
    departmentId: s?.departmentId ?? null,
    durationMinutes: s?.durationMinutes ?? 30,
    bufferBeforeMinutes: s?.bufferBeforeMinutes ?? 0,
    bufferAfterMinutes: s?.bufferAfterMinutes ?? 0,
    slotIntervalMinutes: orEmpty(s?.slotIntervalMinutes ?? null),
    mode: s?.mode ?? 'in_person',
    eligibility: s?.eligibility ?? 'any',
    price: s?.priceCents === null || s?.priceCents === undefined ? '' : s.priceCents / 100,
    currency: s?.currency ?? 'USD',
    requiresRoom: s?.requiresRoom ?? false,
    minNoticeHours: s ? s.minNoticeMinutes / 60 : 2,
    maxAdvanceDays: s ? orEmpty(s.maxAdvanceDays) : 90,
    maxFutureBookings: orEmpty(s?.maxFutureBookings ?? null),
    publicBooking: s?.publicBooking ?? true,
    active: s?.active ?? true,
    practitionerIds: s?.practitionerIds ?? [],
    locationIds: s?.locationIds ?? [],
  };
}

function inputOf(d: Draft): ServiceInput {
  return {
    name: d.name.trim(),
    description: d.description.trim() || null,
    careInstructions: d.careInstructions.trim() || null,
    departmentId: d.departmentId,
    durationMinutes: d.durationMinutes === '' ? 0 : d.durationMinutes,
    bufferBeforeMinutes: d.bufferBeforeMinutes === '' ? 0 : d.bufferBeforeMinutes,
    bufferAfterMinutes: d.bufferAfterMinutes === '' ? 0 : d.bufferAfterMinutes,
    slotIntervalMinutes: orNull(d.slotIntervalMinutes),
    mode: d.mode,
    eligibility: d.eligibility,
    priceCents: d.price === '' ? null : Math.round(d.price * 100),
    currency: d.price === '' ? null : d.currency.trim().toUpperCase() || null,
    requiresRoom: d.requiresRoom,
    minNoticeMinutes: d.minNoticeHours === '' ? 0 : Math.round(d.minNoticeHours * 60),
    maxAdvanceDays: orNull(d.maxAdvanceDays),
    maxFutureBookings: orNull(d.maxFutureBookings),
    publicBooking: d.publicBooking,
    active: d.active,
    practitionerIds: d.practitionerIds,
    locationIds: d.locationIds,
  };
}

const CLAIMED = [
  'name', 'description', 'careInstructions', 'departmentId', 'durationMinutes', 'bufferBeforeMinutes', 'bufferAfterMinutes', 'slotIntervalMinutes', 'mode',
  'eligibility', 'priceCents', 'currency', 'minNoticeMinutes', 'maxAdvanceDays', 'maxFutureBookings', 'practitionerIds', 'locationIds',
];

/** Adds or edits one service: length and buffers, who and where, booking rules and price. */
export function ServiceDrawer({ data, service, onClose, onSaved }: { data: SetupData; service: SetupService | null; onClose: () => void; onSaved: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(service));
  const save = useAction((input: ServiceInput) => (service ? changeService(service.id, input) : createService(input)));
  const errors = fieldErrorsOf(save.error);
  const set = <K extends keyof Draft>(key: K) => (value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const num = (key: 'durationMinutes' | 'bufferBeforeMinutes' | 'bufferAfterMinutes' | 'slotIntervalMinutes' | 'price' | 'minNoticeHours' | 'maxAdvanceDays' | 'maxFutureBookings') =>
    (value: number | string) => setDraft((d) => ({ ...d, [key]: typeof value === 'number' ? value : '' }));

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await save.run(inputOf(draft));
    if (saved) {
      notifications.show({ color: 'teal', message: `Saved “${saved.name}”.` });
      onSaved();
    }
  }

  return (
    <Drawer opened onClose={onClose} position="right" size="lg" title={service ? `Edit ${service.name}` : 'New service'}>
      <form onSubmit={(event) => void handleSubmit(event)} noValidate>
        <Stack gap="sm">
          <FormProblem error={save.error} claimed={CLAIMED} />
          <TextInput label="Name" required data-autofocus value={draft.name} onChange={(e) => set('name')(e.currentTarget.value)} error={errorAt(errors, 'name')} />
          <Textarea label="Description" autosize minRows={2} value={draft.description} onChange={(e) => set('description')(e.currentTarget.value)} error={errorAt(errors, 'description')} />
          <Select
            label="Department"
            clearable
            data={data.departments.map((d) => ({ value: d.id, label: d.name }))}
            value={draft.departmentId}
            onChange={set('departmentId')}
            error={errorAt(errors, 'departmentId')}
          />
          <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
            <NumberInput label="Length (min)" required min={5} max={720} step={5} value={draft.durationMinutes} onChange={num('durationMinutes')} error={errorAt(errors, 'durationMinutes')} />
            <NumberInput label="Buffer before" min={0} max={240} step={5} value={draft.bufferBeforeMinutes} onChange={num('bufferBeforeMinutes')} error={errorAt(errors, 'bufferBeforeMinutes')} />
            <NumberInput label="Buffer after" min={0} max={240} step={5} value={draft.bufferAfterMinutes} onChange={num('bufferAfterMinutes')} error={errorAt(errors, 'bufferAfterMinutes')} />
            <NumberInput label="Start every (min)" placeholder="Length" min={5} max={720} step={5} value={draft.slotIntervalMinutes} onChange={num('slotIntervalMinutes')} error={errorAt(errors, 'slotIntervalMinutes')} />
          </SimpleGrid>
          <Group grow align="flex-start">
            <Stack gap={4}>
              <Text fz="sm" fw={500}>Where</Text>
              <SegmentedControl value={draft.mode} onChange={(v) => set('mode')(v as ServiceMode)} data={[{ value: 'in_person', label: 'In person' }, { value: 'video', label: 'Video' }]} />
            </Stack>
            <Select
              label="For"
              allowDeselect={false}
              data={[{ value: 'any', label: 'Any patient' }, { value: 'new', label: 'New patients only' }, { value: 'established', label: 'Established patients only' }]}
              value={draft.eligibility}
              onChange={(v) => set('eligibility')((v ?? 'any') as ServiceEligibility)}
              error={errorAt(errors, 'eligibility')}
            />
          </Group>
          <MultiSelect
            label="Practitioners who offer it"
            searchable
            data={data.practitioners.map((p) => ({ value: p.id, label: p.active ? p.name : `${p.name} (inactive)` }))}
            value={draft.practitionerIds}
            onChange={set('practitionerIds')}
            error={errorAt(errors, 'practitionerIds')}
          />
          <MultiSelect label="Locations" data={locationOptions(data)} value={draft.locationIds} onChange={set('locationIds')} error={errorAt(errors, 'locationIds')} />
          <Switch label="Needs a room" checked={draft.requiresRoom} onChange={(e) => set('requiresRoom')(e.currentTarget.checked)} />
          <Textarea
            label="Care instructions after the visit"
            description="Emailed to the patient the day after a completed visit (a clinician can write the visit's own instead). Email is not confidential: keep diagnoses and test results out."
            placeholder="After your visit: ..."
            autosize
            minRows={3}
            maxLength={2000}
            value={draft.careInstructions}
            onChange={(e) => set('careInstructions')(e.currentTarget.value)}
            error={errorAt(errors, 'careInstructions')}
          />
          <Divider label="Price" labelPosition="left" />
          <Group grow>
            <NumberInput label="Price" placeholder="No price" min={0} decimalScale={2} value={draft.price} onChange={num('price')} error={errorAt(errors, 'priceCents')} />
            <TextInput label="Currency" maxLength={3} value={draft.currency} onChange={(e) => set('currency')(e.currentTarget.value.toUpperCase())} error={errorAt(errors, 'currency')} />
          </Group>
          <Divider label="Booking rules" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
            <NumberInput label="Minimum notice (hours)" min={0} max={8760} decimalScale={2} value={draft.minNoticeHours} onChange={num('minNoticeHours')} error={errorAt(errors, 'minNoticeMinutes')} />
            <NumberInput label="Book up to (days ahead)" placeholder="No limit" min={1} max={1095} value={draft.maxAdvanceDays} onChange={num('maxAdvanceDays')} error={errorAt(errors, 'maxAdvanceDays')} />
            <NumberInput label="Future bookings per patient" placeholder="No limit" min={1} max={100} value={draft.maxFutureBookings} onChange={num('maxFutureBookings')} error={errorAt(errors, 'maxFutureBookings')} />
          </SimpleGrid>
          <Switch label="Patients can book it on the public booking page" checked={draft.publicBooking} onChange={(e) => set('publicBooking')(e.currentTarget.checked)} />
          <Switch label="Active (offered for booking)" checked={draft.active} onChange={(e) => set('active')(e.currentTarget.checked)} />
          <Group justify="flex-end" mt="sm">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={save.pending}>{service ? 'Save service' : 'Add service'}</Button>
          </Group>
        </Stack>
      </form>
    </Drawer>
  );
}
