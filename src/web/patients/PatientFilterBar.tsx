import { Button, Checkbox, Group, MultiSelect, SimpleGrid, Stack, TagsInput, TextInput } from '@mantine/core';
import { IconFilterOff } from '@tabler/icons-react';
import type { PatientFilters } from '../api/patients.ts';
import type { Tag } from '../api/catalog.ts';
import { activeFilterCount, joinList, splitList } from './filters.ts';
import { LIFECYCLE_OPTIONS } from './LifecycleBadge.tsx';

interface PatientFilterBarProps {
  filters: PatientFilters;
  tags: Tag[];
  onChange: (changes: Record<string, string | null>) => void;
  onClear: () => void;
}

/** Narrow the list: tags, lifecycle, source, when they were last seen, archived records. */
export function PatientFilterBar({ filters, tags, onChange, onClear }: PatientFilterBarProps) {
  const neverVisited = filters.neverVisited === 'true';
  const tagNames = tags.map((t) => t.name);
  const selectedTags = splitList(filters.tag);

  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 5 }} spacing="sm" verticalSpacing="sm">
        <MultiSelect
          label="Tags"
          placeholder={selectedTags.length ? undefined : tagNames.length ? 'Any tag' : 'No tags defined yet'}
          data={[...new Set([...tagNames, ...selectedTags])]}
          value={selectedTags}
          onChange={(value) => onChange({ tag: joinList(value) })}
          searchable
          clearable
          nothingFoundMessage="No tag by that name"
        />
        <MultiSelect
          label="Status"
          placeholder={filters.lifecycle ? undefined : 'Any status'}
          data={LIFECYCLE_OPTIONS}
          value={splitList(filters.lifecycle)}
          onChange={(value) => onChange({ lifecycle: joinList(value) })}
          clearable
        />
        <TagsInput
          label="Source"
          placeholder={filters.source ? undefined : 'e.g. google, then Enter'}
          value={splitList(filters.source)}
          onChange={(value) => onChange({ source: joinList(value) })}
          clearable
        />
        <TextInput
          type="date"
          label="Last visit on or after"
          value={filters.lastVisitAfter ?? ''}
          disabled={neverVisited}
          onChange={(event) => onChange({ lastVisitAfter: event.currentTarget.value || null })}
        />
        <TextInput
          type="date"
          label="Last visit before"
          value={filters.lastVisitBefore ?? ''}
          disabled={neverVisited}
          onChange={(event) => onChange({ lastVisitBefore: event.currentTarget.value || null })}
        />
      </SimpleGrid>
      <Group justify="space-between" gap="sm">
        <Group gap="lg">
          <Checkbox
            label="Never visited"
            checked={neverVisited}
            onChange={(event) =>
              onChange(
                event.currentTarget.checked
                  ? { neverVisited: 'true', lastVisitAfter: null, lastVisitBefore: null }
                  : { neverVisited: null },
              )
            }
          />
          <Checkbox
            label="Archived patients only"
            checked={filters.archived === 'true'}
            onChange={(event) => onChange({ archived: event.currentTarget.checked ? 'true' : null })}
          />
        </Group>
        <Button
          variant="subtle"
          size="xs"
          leftSection={<IconFilterOff size={14} aria-hidden />}
          disabled={activeFilterCount(filters) === 0}
          onClick={onClear}
        >
          Clear filters
        </Button>
      </Group>
    </Stack>
  );
}
