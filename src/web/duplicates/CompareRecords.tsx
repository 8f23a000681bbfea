import { useMemo, useState } from 'react';
import { Alert, Badge, Button, Group, Paper, Radio, Skeleton, Stack, Table, Text } from '@mantine/core';
import { IconArrowMerge, IconInfoCircle, IconUsers } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import { dismissDuplicate, MERGE_FIELDS, mergePatients, type DuplicateCandidate, type MergeRecord, type MergeSide } from '../api/duplicates.ts';
import type { PatientRecord } from '../api/patients.ts';
import { useCustomFields } from '../catalog/useCustomFields.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAction } from '../common/useAction.ts';
import { formatFullName } from '../patients/format.ts';
import { MatchReasons } from './MatchReasons.tsx';
import { defaultPicks, defaultSurvivor, mergeRows, type MergeRow, type Which } from './mergeRows.ts';
import { RecordHeading } from './RecordHeading.tsx';
import { usePairRecords } from './usePairRecords.ts';

export interface MergedPair {
  merge: MergeRecord;
  survivor: PatientRecord;
  merged: PatientRecord;
}

interface CompareRecordsProps {
  candidate: DuplicateCandidate;
  onMerged: (result: MergedPair) => void;
  onDismissed: (candidate: DuplicateCandidate) => void;
}

function ValueCell({ row, which, picked, onPick }: { row: MergeRow; which: Which; picked: boolean; onPick: () => void }) {
  const value = row.values[which];
  if (row.same) {
    return (
      <Text fz="sm" c={value === null ? 'dimmed' : undefined}>
        {value ?? '—'}
      </Text>
    );
  }
  return (
    <Radio
      name={row.field}
      checked={picked}
      onChange={onPick}
      label={value ?? 'empty'}
      aria-label={`${row.label}: ${value ?? 'empty'} (record ${which + 1})`}
      styles={{ label: { fontStyle: value === null ? 'italic' : undefined, color: value === null ? 'var(--mantine-color-dimmed)' : undefined } }}
    />
  );
}

/** Both records side by side: choose the record to keep and, per field, which value it keeps; then merge or dismiss. */
export function CompareRecords({ candidate, onMerged, onDismissed }: CompareRecordsProps) {
  const records = usePairRecords(candidate);
  const customFields = useCustomFields();
  const [survivor, setSurvivor] = useState<Which>(() => defaultSurvivor(candidate.patients));
  const [picks, setPicks] = useState<Partial<Record<string, Which>> | null>(null);
  const merge = useAction(mergePatients);
  const dismiss = useAction(dismissDuplicate);

  const labels = useMemo(
    () => new Map(customFields.status === 'success' ? customFields.data.map((f) => [f.key, f.label] as const) : []),
    [customFields],
  );
  const rows = records.status === 'success' ? mergeRows(MERGE_FIELDS, records.data, candidate.patients, labels) : [];
  const chosen = picks ?? defaultPicks(rows, survivor);

  if (records.status === 'loading') return <Skeleton height={420} radius="md" />;
  if (records.status === 'error') return <ErrorAlert title="The two records could not be loaded" error={records.error} onRetry={records.reload} />;
  const pair = records.data;
  const kept = pair[survivor];
  const gone = pair[survivor === 0 ? 1 : 0];

  function chooseSurvivor(which: Which) {
    setSurvivor(which);
    setPicks(null);
  }

  async function handleMerge() {
    const choices = Object.fromEntries(
      rows.filter((r) => !r.same).map((r): [string, MergeSide] => [r.field, chosen[r.field] === survivor ? 'survivor' : 'merged']),
    );
    const result = await merge.run({
      survivorId: kept.id,
      mergedId: gone.id,
      choices,
      expectedVersions: { survivor: kept.version, merged: gone.version },
    });
    if (result) onMerged({ merge: result, survivor: kept, merged: gone });
  }

  async function handleDismiss() {
    const result = await dismiss.run(candidate.id);
    if (result) onDismissed(result);
  }

  const differing = rows.filter((r) => !r.same).length;
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-label="Compare records">
      <Stack gap="md">
        <Group justify="space-between" align="flex-start">
          <Stack gap={4}>
            <Group gap="xs">
              <IconUsers size={18} aria-hidden />
              <Text fw={650}>Are these the same person?</Text>
              <Badge color={candidate.level === 'clear' ? 'red' : 'orange'} variant="light">
                {Math.round(candidate.score * 100)}% alike
              </Badge>
            </Group>
            <MatchReasons reasons={candidate.reasons} />
          </Stack>
        </Group>
        <Alert variant="light" color="blue" icon={<IconInfoCircle aria-hidden />}>
          The record you keep takes the values chosen below; the other record’s timeline, tasks, appointments and links move to it, and
          the other record is archived. A merge can be undone. {differing === 0 ? 'The two records hold the same values.' : ''}
        </Alert>
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing="xs" horizontalSpacing="md" withRowBorders aria-label="Values to keep">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w="22%" fz="xs" c="dimmed" tt="uppercase">
                  Field
                </Table.Th>
                {pair.map((record, i) => (
                  <Table.Th key={record.id} bg={survivor === i ? 'teal.0' : undefined}>
                    <RecordHeading record={record} index={i} survivor={survivor === i} onChoose={() => chooseSurvivor(i as Which)} />
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.field}>
                  <Table.Td>
                    <Text fz="sm" fw={500}>
                      {row.label}
                    </Text>
                  </Table.Td>
                  {([0, 1] as const).map((which) => (
                    <Table.Td key={which} bg={survivor === which ? 'teal.0' : undefined}>
                      <ValueCell row={row} which={which} picked={chosen[row.field] === which} onPick={() => setPicks({ ...chosen, [row.field]: which })} />
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {(merge.error !== null || dismiss.error !== null) && (
          <Alert color="red" variant="light" role="alert">
            <Group justify="space-between" gap="sm">
              <Text fz="sm">{errorMessage(merge.error ?? dismiss.error)}</Text>
              {merge.error instanceof ApiError && merge.error.status === 409 && (
                <Button
                  size="xs"
                  variant="white"
                  color="red"
                  onClick={() => {
                    merge.reset();
                    setPicks(null);
                    records.reload();
                  }}
                >
                  Reload both records
                </Button>
              )}
            </Group>
          </Alert>
        )}
        <Group justify="space-between">
          <Button variant="default" loading={dismiss.pending} disabled={merge.pending} onClick={() => void handleDismiss()}>
            Not the same person
          </Button>
          <Button leftSection={<IconArrowMerge size={16} aria-hidden />} loading={merge.pending} disabled={dismiss.pending} onClick={() => void handleMerge()}>
            Merge into record {survivor + 1} ({formatFullName(kept)})
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
