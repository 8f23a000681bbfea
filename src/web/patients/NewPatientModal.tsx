import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { duplicateMatchesOf } from '../api/duplicates.ts';
import { createPatient } from '../api/patients.ts';
import { useCustomFields } from '../catalog/useCustomFields.ts';
import { useTags } from '../catalog/useTags.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAction } from '../common/useAction.ts';
import { PossibleDuplicates } from '../duplicates/PossibleDuplicates.tsx';
import { PatientFormFields } from '../patient-form/PatientFormFields.tsx';
import { emptyPatientValues, toNewPatient, withoutBlankContacts, type PatientFormValues } from '../patient-form/values.ts';
import { navigate } from '../router.tsx';
import { formatFullName } from './format.ts';

/** The form inside the modal: mounted only while the modal is open, so nothing loads before it is needed. */
function NewPatientForm({ onClose }: { onClose: () => void }) {
  const [values, setValues] = useState<PatientFormValues>(emptyPatientValues);
  const tags = useTags();
  const customFields = useCustomFields();
  const save = useAction(createPatient);
  const matches = duplicateMatchesOf(save.error);
  const fields = customFields.status === 'success' ? customFields.data : [];

  async function submit(confirmNotDuplicate: boolean) {
    const compact = withoutBlankContacts(values);
    setValues(compact);
    const body = toNewPatient(compact, fields);
    const created = await save.run(confirmNotDuplicate ? { ...body, confirmNotDuplicate: true } : body);
    if (!created) return;
    notifications.show({ color: 'teal', title: 'Patient registered', message: `${formatFullName(created)} was added.` });
    onClose();
    navigate(`/patients/${created.id}`);
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void submit(false);
  }

  if (customFields.status === 'loading') {
    return (
      <Group justify="center" py="xl">
        <Loader size="sm" />
        <Text c="dimmed" fz="sm">
          Loading the clinic’s fields…
        </Text>
      </Group>
    );
  }
  if (customFields.status === 'error') {
    return <ErrorAlert title="The form could not be prepared" error={customFields.error} onRetry={customFields.reload} />;
  }
  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack gap="lg">
        {matches.length > 0 && <PossibleDuplicates matches={matches} confirming={save.pending} onConfirmDifferent={() => void submit(true)} />}
        <PatientFormFields
          values={values}
          onChange={(patch) => setValues((v) => ({ ...v, ...patch }))}
          tags={tags.status === 'success' ? tags.data.items : []}
          customFields={fields}
          error={save.error}
          handledElsewhere={matches.length > 0}
        />
        <Group justify="flex-end" pos="sticky" bottom={0} py="sm" bg="white" style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={save.pending && matches.length === 0}>
            Register patient
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Registers a patient; a likely duplicate is shown for staff to open or to confirm as someone else. */
export function NewPatientModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="New patient" size="xl" closeOnClickOutside={false}>
      <NewPatientForm onClose={onClose} />
    </Modal>
  );
}
