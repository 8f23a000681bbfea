import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Button, Group, Loader, Paper, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconRefresh } from '@tabler/icons-react';
import { hasErrorCode } from '../api/client.ts';
import { updatePatient, type PatientRecord } from '../api/patients.ts';
import { useCustomFields } from '../catalog/useCustomFields.ts';
import { useTags } from '../catalog/useTags.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAction } from '../common/useAction.ts';
import { PatientFormFields } from '../patient-form/PatientFormFields.tsx';
import { changedWrite, toPatientWrite, valuesFromRecord, withoutBlankContacts, type PatientFormValues } from '../patient-form/values.ts';

interface DetailsTabProps {
  patient: PatientRecord;
  onSaved: (record: PatientRecord) => void;
  /** Loads the record again (after someone else saved it). */
  onReload: () => void;
}

function ConflictAlert({ onReload }: { onReload: () => void }) {
  return (
    <Alert color="orange" variant="light" icon={<IconAlertTriangle aria-hidden />} title="Someone else changed this patient" role="alert">
      <Stack gap="xs">
        <Text fz="sm">
          This record was saved by someone else after you opened it, so your changes were not saved, to avoid overwriting theirs.
          Reload to see the record as it is now, then make your changes again.
        </Text>
        <Group>
          <Button size="xs" color="orange" leftSection={<IconRefresh size={14} aria-hidden />} onClick={onReload}>
            Reload the record
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

/**
 * Edits the whole record. Only the fields changed are sent, with the version read, so a save made
 * meanwhile by someone else is refused (version_conflict) instead of silently overwritten.
 */
export function DetailsTab({ patient, onSaved, onReload }: DetailsTabProps) {
  const [values, setValues] = useState<PatientFormValues>(() => valuesFromRecord(patient));
  const tags = useTags();
  const customFields = useCustomFields();
  const save = useAction(updatePatient);
  const conflict = hasErrorCode(save.error, 'version_conflict');

  if (customFields.status === 'loading') return <Loader size="sm" />;
  if (customFields.status === 'error') {
    return <ErrorAlert title="The form could not be prepared" error={customFields.error} onRetry={customFields.reload} />;
  }
  const fields = customFields.data;

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const compact = withoutBlankContacts(values);
    setValues(compact);
    const changes = changedWrite(toPatientWrite(valuesFromRecord(patient), fields), toPatientWrite(compact, fields));
    if (Object.keys(changes).length === 0) {
      notifications.show({ color: 'gray', message: 'Nothing has changed, so there is nothing to save.' });
      return;
    }
    const saved = await save.run(patient.id, { ...changes, version: patient.version });
    if (saved) {
      notifications.show({ color: 'teal', title: 'Saved', message: 'The patient’s details were updated.' });
      onSaved(saved);
    }
  }

  return (
    <Paper withBorder radius="md" p="lg">
      <form onSubmit={(event) => void handleSubmit(event)} noValidate>
        <Stack gap="lg">
          {conflict && <ConflictAlert onReload={onReload} />}
          <PatientFormFields
            values={values}
            onChange={(patch) => setValues((v) => ({ ...v, ...patch }))}
            tags={tags.status === 'success' ? tags.data.items : []}
            customFields={fields}
            error={save.error}
            handledElsewhere={conflict}
          />
          <Group justify="flex-end" pos="sticky" bottom={0} py="sm" bg="white" style={{ borderTop: '1px solid var(--mantine-color-gray-2)', zIndex: 1 }}>
            <Button
              variant="default"
              onClick={() => {
                setValues(valuesFromRecord(patient));
                save.reset();
              }}
            >
              Discard changes
            </Button>
            <Button type="submit" loading={save.pending} disabled={conflict}>
              Save changes
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
