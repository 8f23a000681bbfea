import { Select, Stack, Table, Text, TextInput } from '@mantine/core';
import type { ImportPreview } from './types.ts';

const IDENTIFIER = '__identifier';

/** A few values of the column from the preview rows, so staff can tell what it holds. */
function samples(preview: ImportPreview, column: string): string {
  const values = preview.rows.map((r) => r.values[column] ?? '').filter((v) => v.trim() !== '');
  return values.slice(0, 3).join(' · ') || '(empty in the first rows)';
}

/** One row per CSV column: its sample values and the Rapport field it goes to. */
export function MappingTable({
  preview,
  mapping,
  onChange,
  disabled,
}: {
  preview: ImportPreview;
  mapping: Record<string, string>;
  onChange: (column: string, target: string) => void;
  disabled?: boolean;
}) {
  const options = [...preview.targets, { value: IDENTIFIER, label: 'External identifier (name its system)…' }];
  return (
    <Table striped withTableBorder verticalSpacing="xs">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Column in the file</Table.Th>
          <Table.Th>First values</Table.Th>
          <Table.Th w={340}>Imports as</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {preview.headers.map((column) => {
          const target = mapping[column] ?? 'ignore';
          const isIdentifier = target.startsWith('identifier:');
          const known = options.some((o) => o.value === target);
          const data = known || isIdentifier ? options : [...options, { value: target, label: target }];
          return (
            <Table.Tr key={column}>
              <Table.Td>
                <Text fw={500}>{column}</Text>
              </Table.Td>
              <Table.Td>
                <Text fz="sm" c="dimmed" lineClamp={2}>
                  {samples(preview, column)}
                </Text>
              </Table.Td>
              <Table.Td>
                <Stack gap={4}>
                  <Select
                    aria-label={`Field for column ${column}`}
                    data={data}
                    value={isIdentifier ? IDENTIFIER : target}
                    onChange={(value) => onChange(column, value === IDENTIFIER ? 'identifier:' : (value ?? 'ignore'))}
                    allowDeselect={false}
                    searchable
                    disabled={disabled}
                  />
                  {isIdentifier && (
                    <TextInput
                      aria-label={`Identifier system for column ${column}`}
                      placeholder="System, e.g. urn:example:ehr"
                      value={target.slice('identifier:'.length)}
                      onChange={(event) => onChange(column, `identifier:${event.currentTarget.value}`)}
                      error={target === 'identifier:' ? 'Name the system these identifiers belong to' : undefined}
                      disabled={disabled}
                    />
                  )}
                </Stack>
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
