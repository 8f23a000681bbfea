import { useEffect, useMemo, useState } from 'react';
import { Badge, Button, Center, CloseButton, Collapse, Group, Loader, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { IconAdjustmentsHorizontal, IconSearch, IconUserPlus } from '@tabler/icons-react';
import { useTags } from '../catalog/useTags.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { navigate, updateSearch, useLocation } from '../router.tsx';
import { activeFilterCount, CLEARED_FILTERS, filterKey, readFilters } from './filters.ts';
import { NewPatientModal } from './NewPatientModal.tsx';
import { PatientFilterBar } from './PatientFilterBar.tsx';
import { PatientsTable } from './PatientsTable.tsx';
import { SavedViewsMenu } from './SavedViewsMenu.tsx';
import { usePatientList } from './usePatientList.ts';

const SEARCH_DEBOUNCE_MS = 250;

function summary(count: number, more: boolean, query: string): string {
  const noun = count === 1 ? 'patient' : 'patients';
  if (count === 0) return '';
  if (query) return `${count} best ${count === 1 ? 'match' : 'matches'} for “${query}”, closest first`;
  const base = `Showing ${count} ${noun}`;
  return more ? `${base}, more below` : base;
}

/** Find a patient: one search box (typos welcome), filters, saved views, and registering someone new. */
export function PatientsPage() {
  usePageTitle('Patients');
  const location = useLocation();
  // The address holds the search and filters, so a reload, a shared link, Back or a saved view keeps them.
  const filters = readFilters(location.search);
  const key = filterKey({ ...filters });
  const query = filters.q ?? '';
  const [input, setInput] = useState(query);
  const [debounced] = useDebouncedValue(input, SEARCH_DEBOUNCE_MS);
  const list = usePatientList(key);
  const tags = useTags();
  const filterCount = activeFilterCount(filters);
  const [filtersOpen, filterPanel] = useDisclosure(filterCount > 0);
  const [creating, createModal] = useDisclosure(false);
  const tagColors = useMemo(
    () => new Map(tags.status === 'success' ? tags.data.items.map((t) => [t.name.toLowerCase(), t.color] as const) : []),
    [tags],
  );

  useEffect(() => {
    updateSearch({ q: debounced.trim() || null }, { replace: true });
  }, [debounced]);

  // The address changed from outside the box (Back, a saved view, the Patients link): show what is searched.
  useEffect(() => {
    setInput((current) => (current.trim() === query ? current : query));
    // Only a change of the address should do this, not typing.
  }, [query]);

  const searching = list.refreshing && !list.initialLoading;
  const rightSection = searching ? (
    <Loader size={16} aria-label="Searching" />
  ) : input ? (
    <CloseButton size="sm" aria-label="Clear search" onClick={() => setInput('')} />
  ) : null;

  return (
    <Stack gap="md" maw={1400}>
      <PageHeader
        title="Patients"
        description="Find anyone the clinic cares for, and see when they are next in."
        actions={
          <Button leftSection={<IconUserPlus size={18} aria-hidden />} onClick={createModal.open}>
            New patient
          </Button>
        }
      />

      <Paper withBorder radius="md" p={0} style={{ overflow: 'hidden' }}>
        <Stack p="md" gap="md" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <Group gap="sm" justify="space-between">
            <Group gap="sm" style={{ flex: 1 }}>
              <TextInput
                aria-label="Search patients"
                placeholder="Name, phone, email, date of birth or MRN"
                value={input}
                onChange={(event) => setInput(event.currentTarget.value)}
                onKeyDown={(event) => {
                  if (event.key === 'Escape') setInput('');
                }}
                leftSection={<IconSearch size={16} aria-hidden />}
                rightSection={rightSection}
                rightSectionPointerEvents="all"
                w={{ base: '100%', sm: 440 }}
                autoFocus
              />
              <Button
                variant={filtersOpen ? 'light' : 'default'}
                leftSection={<IconAdjustmentsHorizontal size={16} aria-hidden />}
                rightSection={filterCount ? <Badge size="xs" circle>{filterCount}</Badge> : null}
                onClick={filterPanel.toggle}
                aria-expanded={filtersOpen}
              >
                Filters
              </Button>
            </Group>
            <SavedViewsMenu filters={filters} onPick={(picked) => navigate(`/patients?${filterKey(picked)}`)} />
          </Group>
          <Collapse expanded={filtersOpen}>
            <PatientFilterBar
              filters={filters}
              tags={tags.status === 'success' ? tags.data.items : []}
              onChange={(changes) => updateSearch(changes)}
              onClear={() => updateSearch(CLEARED_FILTERS)}
            />
          </Collapse>
          <Text fz="sm" c="dimmed" aria-live="polite">
            {list.initialLoading || list.error ? '' : summary(list.items.length, list.nextCursor !== null, query)}
          </Text>
        </Stack>

        {list.error ? (
          <Stack p="md">
            <ErrorAlert title="Patients could not be loaded" error={list.error} onRetry={list.retry} />
          </Stack>
        ) : (
          <PatientsTable
            items={list.items}
            loading={list.initialLoading}
            refreshing={list.refreshing}
            query={query}
            filtered={filterCount > 0}
            tagColors={tagColors}
          />
        )}
      </Paper>

      {list.loadMoreError !== null && (
        <ErrorAlert title="More patients could not be loaded" error={list.loadMoreError} onRetry={list.loadMore} />
      )}
      {list.nextCursor !== null && !list.error && (
        <Center>
          <Button variant="default" onClick={list.loadMore} loading={list.loadingMore}>
            Load more
          </Button>
        </Center>
      )}
      <NewPatientModal opened={creating} onClose={createModal.close} />
    </Stack>
  );
}
