import { MultiSelect, NumberInput, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { errorAt, type FieldErrors } from '../common/fieldErrors.ts';
import type { Trigger } from './api.ts';
import type { JourneyCatalog } from './useJourneyCatalog.ts';
import { DATE_FIELDS, triggerOfType, TRIGGER_TYPES, type TriggerType } from './words.ts';

const num = (v: number | string): number | undefined => (typeof v === 'number' ? v : undefined);

/** What starts the journey, and that trigger's own settings (offset, filters, date field). */
export function TriggerFields({ trigger, onChange, errors, catalog }: { trigger: Trigger; onChange: (t: Trigger) => void; errors: FieldErrors; catalog: JourneyCatalog }) {
  const err = (field: string) => errorAt(errors, `trigger.${field}`);
  return (
    <Stack gap="xs">
      <Select
        label="Starts when"
        allowDeselect={false}
        data={TRIGGER_TYPES}
        value={trigger.type}
        onChange={(v) => v && onChange(triggerOfType(v as TriggerType, trigger))}
        error={errorAt(errors, 'trigger.type')}
      />
      {'offset' in trigger && (
        <SimpleGrid cols={3} spacing="xs">
          {(['days', 'hours', 'minutes'] as const).map((unit) => (
            <NumberInput
              key={unit}
              label={`${unit[0]!.toUpperCase()}${unit.slice(1)} ${trigger.type === 'appointment.before' ? 'before' : 'after'}`}
              min={0}
              value={trigger.offset[unit] ?? ''}
              onChange={(v) => onChange({ ...trigger, offset: { ...trigger.offset, [unit]: num(v) } })}
              error={err(`offset.${unit}`) ?? (unit === 'days' ? err('offset') : undefined)}
            />
          ))}
        </SimpleGrid>
      )}
      {'serviceIds' in trigger && (
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          <MultiSelect
            label="Only for services"
            placeholder={trigger.serviceIds?.length ? undefined : 'Any service'}
            searchable
            data={catalog.services.map((s) => ({ value: s.id, label: s.name }))}
            value={trigger.serviceIds ?? []}
            onChange={(serviceIds) => onChange({ ...trigger, serviceIds })}
            error={err('serviceIds')}
          />
          <MultiSelect
            label="Only at locations"
            placeholder={trigger.locationIds?.length ? undefined : 'Any location'}
            searchable
            data={catalog.locations.map((l) => ({ value: l.id, label: l.name }))}
            value={trigger.locationIds ?? []}
            onChange={(locationIds) => onChange({ ...trigger, locationIds })}
            error={err('locationIds')}
          />
        </SimpleGrid>
      )}
      {trigger.type === 'date.reached' && (
        <>
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
            <Select
              label="Date"
              allowDeselect={false}
              data={[...DATE_FIELDS, ...catalog.customFields.filter((f) => f.type === 'date').map((f) => ({ value: `custom.${f.key}`, label: f.label }))]}
              value={trigger.field}
              onChange={(field) => field && onChange({ ...trigger, field })}
              error={err('field')}
            />
            <NumberInput
              label="Days after (negative: before)"
              min={-365}
              max={365}
              value={trigger.offsetDays}
              onChange={(v) => onChange({ ...trigger, offsetDays: num(v) ?? 0 })}
              error={err('offsetDays')}
            />
            <TextInput label="At" type="time" value={trigger.at} onChange={(e) => onChange({ ...trigger, at: e.currentTarget.value })} error={err('at')} />
          </SimpleGrid>
          <Text fz="xs" c="dimmed">Times are in each patient&apos;s own time zone.</Text>
        </>
      )}
      {trigger.type === 'medication.dose' && (
        <Text fz="xs" c="dimmed">
          Each dose time of an active medication reminder, in the patient&apos;s time zone; messages go by the channel agreed for the reminder.
        </Text>
      )}
    </Stack>
  );
}
