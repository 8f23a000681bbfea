import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Group, Modal, Select, SimpleGrid, Stack, Switch, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { changeLocation, createLocation, type LocationInput, type SetupLocation } from '../api/scheduling-setup.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { FormProblem } from './FormProblem.tsx';

const ZONES = Intl.supportedValuesOf('timeZone');
const TEXT = ['name', 'addressLine', 'city', 'postalCode', 'phone'] as const;

/** Adds or edits a location; every time there is in its IANA zone. */
export function LocationModal({ location, onClose, onSaved }: { location: SetupLocation | null; onClose: () => void; onSaved: () => void }) {
  const [draft, setDraft] = useState({
    name: location?.name ?? '',
    addressLine: location?.addressLine ?? '',
    city: location?.city ?? '',
    postalCode: location?.postalCode ?? '',
    phone: location?.phone ?? '',
    timeZone: location?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    active: location?.active ?? true,
  });
  const save = useAction((input: LocationInput) => (location ? changeLocation(location.id, input) : createLocation(input)));
  const errors = fieldErrorsOf(save.error);
  const text = (key: (typeof TEXT)[number]) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setDraft((d) => ({ ...d, [key]: value }));
  };

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const opt = (v: string) => v.trim() || null;
    const saved = await save.run({
      name: draft.name.trim(),
      addressLine: opt(draft.addressLine),
      city: opt(draft.city),
      postalCode: opt(draft.postalCode),
      phone: opt(draft.phone),
      timeZone: draft.timeZone,
      active: draft.active,
    });
    if (saved) {
      notifications.show({ color: 'teal', message: `Saved ${saved.name}.` });
      onSaved();
    }
  }

  return (
    <Modal opened onClose={onClose} title={location ? `Edit ${location.name}` : 'New location'} size="lg">
      <form onSubmit={(event) => void handleSubmit(event)} noValidate>
        <Stack gap="sm">
          <FormProblem error={save.error} claimed={[...TEXT, 'timeZone']} />
          <TextInput label="Name" required data-autofocus value={draft.name} onChange={text('name')} error={errorAt(errors, 'name')} />
          <TextInput label="Address" value={draft.addressLine} onChange={text('addressLine')} error={errorAt(errors, 'addressLine')} />
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
            <TextInput label="City" value={draft.city} onChange={text('city')} error={errorAt(errors, 'city')} />
            <TextInput label="Postal code" value={draft.postalCode} onChange={text('postalCode')} error={errorAt(errors, 'postalCode')} />
            <TextInput label="Phone" type="tel" value={draft.phone} onChange={text('phone')} error={errorAt(errors, 'phone')} />
          </SimpleGrid>
          <Select
            label="Time zone"
            description="Opening hours and appointments at this location are in this zone"
            searchable
            allowDeselect={false}
            data={ZONES.includes(draft.timeZone) ? ZONES : [draft.timeZone, ...ZONES]}
            value={draft.timeZone}
            onChange={(v) => v && setDraft((d) => ({ ...d, timeZone: v }))}
            error={errorAt(errors, 'timeZone')}
          />
          <Switch label="Active" checked={draft.active} onChange={(e) => setDraft((d) => ({ ...d, active: e.currentTarget.checked }))} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={save.pending}>{location ? 'Save location' : 'Add location'}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
