import { Alert, Button, Group, List, Paper, SegmentedControl, Stack, Text } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { MappingTable } from './MappingTable.tsx';
import { DATE_FORMATS, type DateFormat, type ImportPreview } from './types.ts';

/**
 * Notes on the mapping as it stands (the server says the same of a started run, in its warnings;
 * the preview's own warnings describe only its first guess).
 */
export function mappingNotes(mapping: Record<string, string>, rowCount: number): string[] {
  const targets = Object.values(mapping);
  const notes: string[] = [];
  if (rowCount === 0) notes.push('The file has a header but no rows.');
  if (!targets.some((t) => t === 'mrn' || t.startsWith('identifier:'))) {
    notes.push('No column goes to the MRN or an identifier, so importing this file again would create every patient again (each then waits in duplicate review).');
  }
  if (!targets.includes('givenName') || !targets.includes('familyName')) {
    notes.push('Without first and last name columns, only rows that match an existing patient can be imported.');
  }
  const ignored = Object.entries(mapping).filter(([, t]) => t === 'ignore').map(([c]) => `“${c}”`);
  if (ignored.length) notes.push(`Not imported: ${ignored.join(', ')}.`);
  return notes;
}

/** The file as read: warnings, where each column goes, the date format, and the two ways to go on. */
export function MappingStep({
  fileName,
  preview,
  mapping,
  onMappingChange,
  dateFormat,
  onDateFormatChange,
  locked,
  starting,
  onStart,
}: {
  fileName: string;
  preview: ImportPreview;
  mapping: Record<string, string>;
  onMappingChange: (column: string, target: string) => void;
  dateFormat: DateFormat;
  onDateFormatChange: (format: DateFormat) => void;
  /** A run is in progress: nothing may change. */
  locked: boolean;
  starting: boolean;
  onStart: (dryRun: boolean) => void;
}) {
  // An identifier column is only useful with the system its values belong to.
  const notes = mappingNotes(mapping, preview.rowCount);
  const missingSystem = Object.values(mapping).some((t) => t.startsWith('identifier:') && !t.slice('identifier:'.length).trim());
  return (
    <Paper withBorder radius="md" p="md">
      <Stack gap="md">
        <Text>
          <b>{preview.rowCount}</b> rows in <b>{fileName}</b>. Check where each column goes; columns set to “Do not
          import” are left out.
        </Text>
        {notes.length > 0 && (
          <Alert color="yellow" variant="light" icon={<IconInfoCircle aria-hidden />} title="Before you import">
            <List size="sm" spacing={4}>
              {notes.map((w) => (
                <List.Item key={w}>{w}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        <MappingTable
          preview={preview}
          mapping={mapping}
          onChange={onMappingChange}
          disabled={locked}
        />
        <Group justify="space-between" align="flex-end">
          <Stack gap={4}>
            <Text fz="sm" fw={500}>
              Date format
            </Text>
            <Text fz="xs" c="dimmed">
              How to read dates such as 03/04/1990; YYYY-MM-DD dates are always understood.
            </Text>
            <SegmentedControl
              aria-label="Date format"
              value={dateFormat}
              onChange={(v) => onDateFormatChange(v as DateFormat)}
              data={DATE_FORMATS.map((f) => ({ value: f, label: f }))}
              disabled={locked}
            />
          </Stack>
          <Group>
            <Button variant="default" onClick={() => onStart(true)} loading={starting} disabled={locked || missingSystem}>
              Dry run
            </Button>
            <Button onClick={() => onStart(false)} loading={starting} disabled={locked || missingSystem}>
              Import {preview.rowCount} rows
            </Button>
          </Group>
        </Group>
      </Stack>
    </Paper>
  );
}
