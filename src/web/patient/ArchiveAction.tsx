import { useState } from 'react';
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconArchive, IconArchiveOff } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { archivePatient, restorePatient, type PatientRecord } from '../api/patients.ts';
import { useAction } from '../common/useAction.ts';
import { formatFullName } from '../patients/format.ts';

/** Archive (with an optional reason) or restore the patient. */
export function ArchiveAction({ patient, onChanged }: { patient: PatientRecord; onChanged: (record: PatientRecord) => void }) {
  const [asking, modal] = useDisclosure(false);
  const [reason, setReason] = useState('');
  const archive = useAction(archivePatient);
  const restore = useAction(restorePatient);

  async function handleRestore() {
    const record = await restore.run(patient.id);
    if (record) {
      onChanged(record);
      notifications.show({ color: 'teal', message: `${formatFullName(record)} is back in lists and search.` });
    } else {
      notifications.show({ color: 'red', title: 'The patient was not restored', message: 'Try again in a moment.' });
    }
  }

  async function handleArchive() {
    const record = await archive.run(patient.id, reason.trim());
    if (!record) return;
    modal.close();
    setReason('');
    onChanged(record);
    notifications.show({ color: 'teal', message: `${formatFullName(record)} was archived.` });
  }

  if (patient.archivedAt) {
    return (
      <Button variant="default" leftSection={<IconArchiveOff size={16} aria-hidden />} loading={restore.pending} onClick={() => void handleRestore()}>
        Restore
      </Button>
    );
  }
  return (
    <>
      <Button variant="default" color="gray" leftSection={<IconArchive size={16} aria-hidden />} onClick={modal.open}>
        Archive
      </Button>
      <Modal opened={asking} onClose={modal.close} title={`Archive ${formatFullName(patient)}?`} centered>
        <Stack gap="md">
          <Text fz="sm">
            The record is kept with its whole history but leaves lists and search. It can be restored at any time.
          </Text>
          <TextInput
            label="Reason"
            description="Optional; shown in the record’s history"
            placeholder="e.g. moved away"
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            data-autofocus
          />
          {archive.error !== null && (
            <Text c="red" fz="sm" role="alert">
              {errorMessage(archive.error)}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={modal.close}>
              Cancel
            </Button>
            <Button color="red" loading={archive.pending} onClick={() => void handleArchive()}>
              Archive patient
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
