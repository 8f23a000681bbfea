import { Box, EmptyState, Skeleton, Table, VisuallyHidden } from '@mantine/core';
import { IconFilterOff, IconUserSearch, IconUsers } from '@tabler/icons-react';
import type { PatientListItem } from '../api/types.ts';
import { PatientRow } from './PatientRow.tsx';

const COLUMNS = ['Name', 'Date of birth', 'Contact', 'City', 'Tags', 'Status', 'Next appointment'] as const;
const SKELETON_ROWS = 8;

interface PatientsTableProps {
  items: PatientListItem[];
  loading: boolean;
  refreshing: boolean;
  query: string;
  /** Whether filters besides the search narrow the list (changes what "nothing found" says). */
  filtered: boolean;
  /** Tag colours by lower-case name. */
  tagColors: ReadonlyMap<string, string>;
}

function SkeletonRows() {
  return Array.from({ length: SKELETON_ROWS }, (_, row) => (
    <Table.Tr key={row}>
      {COLUMNS.map((column) => (
        <Table.Td key={column}>
          <Skeleton height={14} radius="sm" width={column === 'Name' ? '80%' : '60%'} />
        </Table.Td>
      ))}
    </Table.Tr>
  ));
}

function NoPatients({ query, filtered }: { query: string; filtered: boolean }) {
  return (
    <Table.Tr>
      <Table.Td colSpan={COLUMNS.length} py="xl">
        {filtered ? (
          <EmptyState
            icon={<IconFilterOff aria-hidden />}
            title={query ? `Nobody matches “${query}” with these filters` : 'Nobody matches these filters'}
            description="Loosen or clear the filters to see more patients."
          />
        ) : query ? (
          <EmptyState
            icon={<IconUserSearch aria-hidden />}
            title={`Nobody matches “${query}”`}
            description="Check the spelling, or try a phone number, an email address or the MRN."
          />
        ) : (
          <EmptyState
            icon={<IconUsers aria-hidden />}
            title="No patients yet"
            description="Patients appear here once they are added, imported from the EHR or book online."
          />
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function HeaderRow() {
  return (
    <Table.Thead>
      <Table.Tr>
        {COLUMNS.map((column) => (
          <Table.Th key={column} scope="col" fz="xs" c="dimmed" tt="uppercase" style={{ letterSpacing: 0.4 }}>
            {column}
          </Table.Th>
        ))}
      </Table.Tr>
    </Table.Thead>
  );
}

/**
 * Placeholder while the first page loads. Hidden from assistive technology (and so from
 * role-based test locators): the real "Patients" table only appears once it has data.
 */
function LoadingTable() {
  return (
    <Box role="status">
      <VisuallyHidden>Loading the patient list…</VisuallyHidden>
      <Table.ScrollContainer minWidth={1000} aria-hidden>
        <Table verticalSpacing="sm" horizontalSpacing="md">
          <HeaderRow />
          <Table.Tbody>
            <SkeletonRows />
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Box>
  );
}

/** The patient list; while a new search runs, the previous rows stay, dimmed. */
export function PatientsTable({ items, loading, refreshing, query, filtered, tagColors }: PatientsTableProps) {
  if (loading) return <LoadingTable />;

  return (
    <Table.ScrollContainer minWidth={1000}>
      <Table
        aria-label="Patients"
        aria-busy={refreshing}
        highlightOnHover={items.length > 0}
        verticalSpacing="sm"
        horizontalSpacing="md"
        style={{ opacity: refreshing ? 0.6 : 1, transition: 'opacity 120ms' }}
      >
        <HeaderRow />
        <Table.Tbody>
          {items.length === 0 ? (
            <NoPatients query={query} filtered={filtered} />
          ) : (
            items.map((patient) => <PatientRow key={patient.id} patient={patient} tagColors={tagColors} />)
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
