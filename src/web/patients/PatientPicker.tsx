import { useState } from 'react';
import { Badge, Group, Loader, Radio, Stack, Text, TextInput } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import type { PatientSearchHit, SearchField } from '../api/patients.ts';
import { formatAge, formatCalendarDate, formatFullName, formatMrn, formatPhone } from './format.ts';
import { usePatientSearch } from './usePatientSearch.ts';

const MATCHED_ON: Record<SearchField, string> = {
  name: 'name',
  phone: 'phone',
  email: 'email',
  birth_date: 'date of birth',
  mrn: 'MRN',
  identifier: 'identifier',
};

interface PatientPickerProps {
  label: string;
  initialQuery?: string;
  /** A patient not to offer (the one being linked from). */
  excludeId?: string;
  value: PatientSearchHit | null;
  onChange: (patient: PatientSearchHit | null) => void;
}

function HitLabel({ hit }: { hit: PatientSearchHit }) {
  const age = hit.birthDate ? formatAge(hit.birthDate) : null;
  return (
    <Stack gap={0}>
      <Group gap={6}>
        <Text fz="sm" fw={600}>
          {formatFullName(hit)}
        </Text>
        {hit.matchedOn.map((f) => (
          <Badge key={f} size="xs" variant="light" color="gray" tt="none">
            {MATCHED_ON[f] ?? f}
          </Badge>
        ))}
      </Group>
      <Text fz="xs" c="dimmed">
        {[
          hit.birthDate ? `${formatCalendarDate(hit.birthDate)}${age ? ` (${age})` : ''}` : 'No date of birth',
          hit.mrn ? formatMrn(hit.mrn) : null,
          hit.phone ? formatPhone(hit.phone) : null,
          hit.city,
        ]
          .filter(Boolean)
          .join(' · ')}
      </Text>
    </Stack>
  );
}

/** Finds one existing patient by search (typos, phone, date of birth ...) and picks them. */
export function PatientPicker({ label, initialQuery = '', excludeId, value, onChange }: PatientPickerProps) {
  const [query, setQuery] = useState(initialQuery);
  const search = usePatientSearch(query);
  const hits = search.status === 'success' ? search.data.filter((h) => h.id !== excludeId) : [];

  return (
    <Stack gap="xs">
      <TextInput
        label={label}
        placeholder="Name, phone, email, date of birth or MRN"
        leftSection={<IconSearch size={16} aria-hidden />}
        rightSection={!search.settled || search.status === 'loading' ? <Loader size={14} /> : null}
        value={query}
        onChange={(event) => setQuery(event.currentTarget.value)}
        data-autofocus
      />
      {search.status === 'error' && (
        <Text c="red" fz="sm">
          {errorMessage(search.error)}
        </Text>
      )}
      {query.trim() && search.status === 'success' && search.settled && hits.length === 0 && (
        <Text c="dimmed" fz="sm">
          Nobody matches “{query.trim()}”.
        </Text>
      )}
      {hits.length > 0 && (
        <Radio.Group
          value={value?.id ?? null}
          onChange={(id) => onChange(hits.find((h) => h.id === id) ?? null)}
          aria-label="Matching patients"
        >
          <Stack gap={6} mah={280} style={{ overflowY: 'auto' }}>
            {hits.map((hit) => (
              <Radio.Card key={hit.id} value={hit.id} p="xs" radius="md" withBorder>
                <Group gap="sm" wrap="nowrap">
                  <Radio.Indicator />
                  <HitLabel hit={hit} />
                </Group>
              </Radio.Card>
            ))}
          </Stack>
        </Radio.Group>
      )}
    </Stack>
  );
}
