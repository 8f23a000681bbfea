import { useEffect, useState } from 'react';
import { Button, Center, CloseButton, Group, Loader, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { navigate, useLocation } from '../router.tsx';
import { PatientsTable } from './PatientsTable.tsx';
import { usePatientList } from './usePatientList.ts';

const SEARCH_DEBOUNCE_MS = 250;

function summary(count: number, more: boolean, query: string): string {
  const noun = count === 1 ? 'patient' : 'patients';
  if (count === 0) return '';
  const base = query ? `${count}${more ? '+' : ''} ${noun} matching “${query}”` : `Showing ${count} ${noun}`;
  return more ? `${base}, more below` : base;
}

/** Find a patient: search-as-you-type over name, phone, email and MRN. */
export function PatientsPage() {
  usePageTitle('Patients');
  const location = useLocation();
  // The URL holds the search, so a reload, a shared link or Back keeps it.
  const query = (location.search.get('q') ?? '').trim();
  const [input, setInput] = useState(query);
  const [debounced] = useDebouncedValue(input, SEARCH_DEBOUNCE_MS);
  const list = usePatientList(query);

  useEffect(() => {
    const q = debounced.trim();
    navigate(q ? `/patients?q=${encodeURIComponent(q)}` : '/patients', { replace: true });
  }, [debounced]);

  // The URL changed from outside the box (Back, the Patients link): show what is searched.
  useEffect(() => {
    setInput((current) => (current.trim() === query ? current : query));
    // Only a change of the URL should do this, not typing.
  }, [query]);

  const searching = list.refreshing && !list.initialLoading;
  const rightSection = searching ? (
    <Loader size={16} aria-label="Searching" />
  ) : input ? (
    <CloseButton size="sm" aria-label="Clear search" onClick={() => setInput('')} />
  ) : null;

  return (
    <Stack gap="md" maw={1400}>
      <PageHeader title="Patients" description="Find anyone the clinic cares for, and see when they are next in." />

      <Paper withBorder radius="md" p={0} style={{ overflow: 'hidden' }}>
        <Group p="md" gap="md" justify="space-between" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <TextInput
            aria-label="Search patients"
            placeholder="Search by name, phone, email or MRN"
            value={input}
            onChange={(event) => setInput(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setInput('');
            }}
            leftSection={<IconSearch size={16} aria-hidden />}
            rightSection={rightSection}
            rightSectionPointerEvents="all"
            w={{ base: '100%', sm: 420 }}
            autoFocus
          />
          <Text fz="sm" c="dimmed" aria-live="polite">
            {list.initialLoading || list.error ? '' : summary(list.items.length, list.nextCursor !== null, query)}
          </Text>
        </Group>

        {list.error ? (
          <Stack p="md">
            <ErrorAlert title="Patients could not be loaded" error={list.error} onRetry={list.retry} />
          </Stack>
        ) : (
          <PatientsTable items={list.items} loading={list.initialLoading} refreshing={list.refreshing} query={query} />
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
    </Stack>
  );
}
