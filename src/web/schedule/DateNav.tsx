import { Button, Group, TextInput } from '@mantine/core';
import { IconChevronLeft, IconChevronRight } from '@tabler/icons-react';
import { updateSearch } from '../router.tsx';
import { addDays } from './format.ts';

export const isDate = (value: string | null): value is string => value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value);

/** Previous, today, next and a date picker; the date lives in the address (?date=). */
export function DateNav({ date, unit }: { date: string; unit: 'day' | 'week' }) {
  const step = unit === 'day' ? 1 : 7;
  return (
    <Group gap="xs" align="flex-end">
      <Button variant="default" aria-label={`Previous ${unit}`} onClick={() => updateSearch({ date: addDays(date, -step) })}>
        <IconChevronLeft size={16} aria-hidden />
      </Button>
      <Button variant="default" onClick={() => updateSearch({ date: null })}>
        Today
      </Button>
      <Button variant="default" aria-label={`Next ${unit}`} onClick={() => updateSearch({ date: addDays(date, step) })}>
        <IconChevronRight size={16} aria-hidden />
      </Button>
      <TextInput type="date" label="Date" value={date} onChange={(e) => isDate(e.currentTarget.value) && updateSearch({ date: e.currentTarget.value })} w={170} />
    </Group>
  );
}
