import { useCallback, useState } from 'react';
import { ActionIcon, Alert, Button, Group, Paper, Select, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { fetchAvailability, replaceWeeklyRules, type SetupPractitioner, type WeeklyRule, type WeeklyRuleInput } from '../api/scheduling-setup.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { fieldErrorsOf, sentence } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { FormProblem } from './FormProblem.tsx';
import { locationOptions, type SetupData } from './useSetupData.ts';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** One row of the editor; `key` keeps React's identity while rows come and go. */
type Row = WeeklyRuleInput & { key: number };
let nextKey = 1;
const rowOf = (r: WeeklyRuleInput): Row => ({ ...r, key: nextKey++ });

/** The practitioner's weekly hours, edited per weekday and saved as one set. */
export function WeeklyHoursEditor({ data, practitioner, onSaved }: { data: SetupData; practitioner: SetupPractitioner; onSaved: () => void }) {
  const availability = useApiQuery(useCallback((signal: AbortSignal) => fetchAvailability(practitioner.id, signal), [practitioner.id]));
  if (availability.status === 'loading') return <Skeleton height={160} radius="md" />;
  if (availability.status === 'error') return <ErrorAlert title="Hours could not be loaded" error={availability.error} onRetry={availability.reload} />;
  return <HoursForm data={data} practitioner={practitioner} initial={availability.data.rules} onSaved={onSaved} />;
}

function HoursForm({ data, practitioner, initial, onSaved }: { data: SetupData; practitioner: SetupPractitioner; initial: WeeklyRule[]; onSaved: () => void }) {
  const [rows, setRows] = useState<Row[]>(() => initial.map(({ id: _id, ...rule }) => rowOf(rule)));
  const save = useAction((rules: WeeklyRuleInput[]) => replaceWeeklyRules(practitioner.id, rules));
  const errors = fieldErrorsOf(save.error);
  const homeLocation =
    data.departments.find((d) => d.id === practitioner.departmentId)?.locationId ?? practitioner.locationIds[0] ?? data.locations[0]?.id ?? '';

  const update = (key: number, change: Partial<WeeklyRuleInput>) => setRows((all) => all.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const remove = (key: number) => setRows((all) => all.filter((r) => r.key !== key));
  const add = (weekday: number) =>
    setRows((all) => {
      const last = all.filter((r) => r.weekday === weekday).sort((a, b) => a.endTime.localeCompare(b.endTime)).at(-1);
      const start = last ? last.endTime : '09:00';
      const end = last ? (last.endTime < '17:00' ? '17:00' : '23:59') : '17:00';
      return [...all, rowOf({ weekday, locationId: last?.locationId ?? homeLocation, startTime: start, endTime: end, validFrom: null, validUntil: null })];
    });
  /** Problems the API named for the row sent at this index (rules.3, rules.3.endTime ...). */
  const problemsAt = (index: number) =>
    [...errors].filter(([path]) => path === `rules.${index}` || path.startsWith(`rules.${index}.`)).map(([path, message]) => {
      const field = path.split('.')[2];
      // "overlaps rules.3 on Monday (...)": the other row is shown on the same day, so name it plainly.
      return field ? `${field}: ${message}` : sentence(message.replace(/rules\.\d+/g, 'other hours'));
    });

  async function handleSave() {
    const saved = await save.run(rows.map(({ key: _key, ...rule }) => rule));
    if (saved) {
      setRows(saved.rules.map(({ id: _id, ...rule }) => rowOf(rule)));
      notifications.show({ color: 'teal', message: `Saved weekly hours for ${practitioner.name}.` });
      onSaved();
    }
  }

  return (
    <Stack gap="xs">
      {data.locations.length === 0 && <Alert color="orange" variant="light">Add a location first: hours are kept per location.</Alert>}
      <FormProblem error={save.error} claimed={['rules']} />
      {WEEKDAYS.map((label, i) => {
        const weekday = i + 1;
        const dayRows = rows.map((row, index) => ({ row, index })).filter(({ row }) => row.weekday === weekday).sort((a, b) => a.row.startTime.localeCompare(b.row.startTime));
        return (
          <Paper key={weekday} withBorder radius="md" p="xs">
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <Text fw={600} fz="sm" w={96} pt={6}>{label}</Text>
              <Stack gap={6} style={{ flex: 1 }}>
                {dayRows.length === 0 && <Text c="dimmed" fz="sm" pt={6}>Not working</Text>}
                {dayRows.map(({ row, index }) => (
                  <Stack key={row.key} gap={2}>
                    <Group gap="xs" wrap="nowrap">
                      <TextInput type="time" aria-label={`${label} start`} value={row.startTime} onChange={(e) => update(row.key, { startTime: e.currentTarget.value })} w={120} />
                      <Text fz="sm">to</Text>
                      <TextInput type="time" aria-label={`${label} end`} value={row.endTime} onChange={(e) => update(row.key, { endTime: e.currentTarget.value })} w={120} />
                      <Select aria-label={`${label} location`} data={locationOptions(data)} value={row.locationId} allowDeselect={false} onChange={(v) => v && update(row.key, { locationId: v })} style={{ flex: 1 }} />
                      <ActionIcon variant="subtle" color="red" aria-label={`Remove ${label} ${row.startTime}-${row.endTime}`} onClick={() => remove(row.key)}>
                        <IconTrash size={16} aria-hidden />
                      </ActionIcon>
                    </Group>
                    {(row.validFrom || row.validUntil) && (
                      <Text fz="xs" c="dimmed">Only {row.validFrom ? `from ${row.validFrom}` : ''} {row.validUntil ? `until ${row.validUntil}` : ''}</Text>
                    )}
                    {problemsAt(index).map((message) => (
                      <Text key={message} fz="xs" c="red">{message}</Text>
                    ))}
                  </Stack>
                ))}
              </Stack>
              <ActionIcon variant="light" aria-label={`Add hours on ${label}`} onClick={() => add(weekday)} disabled={data.locations.length === 0}>
                <IconPlus size={16} aria-hidden />
              </ActionIcon>
            </Group>
          </Paper>
        );
      })}
      <Group justify="flex-end">
        <Button onClick={() => void handleSave()} loading={save.pending}>Save weekly hours</Button>
      </Group>
    </Stack>
  );
}
