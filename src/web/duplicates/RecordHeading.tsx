import { Anchor, Radio, Stack, Text } from '@mantine/core';
import type { PatientRecord } from '../api/patients.ts';
import { formatFullName, formatInstant, formatMrn } from '../patients/format.ts';
import { Link } from '../router.tsx';

interface RecordHeadingProps {
  record: PatientRecord;
  index: number;
  survivor: boolean;
  onChoose: () => void;
}

/** The head of one record's column: who, since when, and whether it is the one kept. */
export function RecordHeading({ record, index, survivor, onChoose }: RecordHeadingProps) {
  const name = formatFullName(record);
  return (
    <Stack gap={4}>
      <Text fz="xs" c="dimmed" tt="uppercase" fw={600} style={{ letterSpacing: 0.5 }}>
        Record {index + 1}
      </Text>
      <Anchor component={Link} href={`/patients/${record.id}`} target="_blank" fw={650} fz="sm">
        {name}
      </Anchor>
      <Text fz="xs" c="dimmed">
        {record.mrn ? `${formatMrn(record.mrn)} · ` : ''}created {formatInstant(record.createdAt)}
      </Text>
      <Radio
        name="survivor"
        checked={survivor}
        onChange={onChoose}
        label="Keep this record"
        aria-label={`Keep record ${index + 1} (${name})`}
        size="sm"
        mt={4}
      />
    </Stack>
  );
}
