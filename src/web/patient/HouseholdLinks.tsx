import { useState } from 'react';
import { ActionIcon, Anchor, Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconLink, IconX } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { linkPatient, unlinkPatient, type LinkKind, type PatientRecord, type PatientSearchHit } from '../api/patients.ts';
import { useAction } from '../common/useAction.ts';
import { formatFullName } from '../patients/format.ts';
import { PatientPicker } from '../patients/PatientPicker.tsx';
import { Link } from '../router.tsx';

/** How the other person relates to this patient, read as "<label> <name>". */
const KIND_LABEL: Record<LinkKind, string> = {
  guardian_of: 'Guardian of',
  guarded_by: 'Cared for by',
  shares_phone_with: 'Shares a phone with',
};

const KIND_OPTIONS = (Object.keys(KIND_LABEL) as LinkKind[]).map((value) => ({ value, label: KIND_LABEL[value] }));

function LinkModal({ patient, opened, onClose, onLinked }: { patient: PatientRecord; opened: boolean; onClose: () => void; onLinked: () => void }) {
  const [kind, setKind] = useState<LinkKind>('guardian_of');
  const [related, setRelated] = useState<PatientSearchHit | null>(null);
  const link = useAction(linkPatient);

  async function handleLink() {
    if (!related) return;
    if (await link.run(patient.id, kind, related.id)) {
      notifications.show({ color: 'teal', message: `Linked ${formatFullName(related)} to ${formatFullName(patient)}.` });
      setRelated(null);
      onLinked();
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Link a household member" size="lg">
      <Stack gap="md">
        <Select
          label={`${formatFullName(patient)} is`}
          data={KIND_OPTIONS}
          value={kind}
          allowDeselect={false}
          onChange={(value) => value && setKind(value as LinkKind)}
        />
        <PatientPicker label="Which patient" excludeId={patient.id} value={related} onChange={setRelated} />
        {link.error !== null && (
          <Text c="red" fz="sm" role="alert">
            {errorMessage(link.error)}
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button disabled={!related} loading={link.pending} onClick={() => void handleLink()}>
            Link
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Parents, children and others sharing a phone, each a link to their own record. */
export function HouseholdLinks({ patient, onChanged }: { patient: PatientRecord; onChanged: () => void }) {
  const [linking, modal] = useDisclosure(false);

  async function remove(linkId: string, name: string) {
    try {
      await unlinkPatient(patient.id, linkId);
      notifications.show({ color: 'teal', message: `Removed the link to ${name}.` });
      onChanged();
    } catch (error) {
      notifications.show({ color: 'red', title: 'The link was not removed', message: errorMessage(error) });
    }
  }

  return (
    <>
      {patient.household.length === 0 && (
        <Text fz="sm" c="dimmed">
          No household links
        </Text>
      )}
      {patient.household.map(({ linkId, kind, patient: other }) => {
        const name = formatFullName(other);
        return (
          <Group key={linkId} gap={4} wrap="nowrap" justify="space-between">
            <Text fz="sm">
              {KIND_LABEL[kind] ?? kind}{' '}
              <Anchor component={Link} href={`/patients/${other.id}`} fz="sm" fw={500}>
                {name}
              </Anchor>
            </Text>
            {!patient.mergedIntoId && (
              <ActionIcon variant="subtle" color="gray" size="sm" aria-label={`Remove link to ${name}`} onClick={() => void remove(linkId, name)}>
                <IconX size={12} aria-hidden />
              </ActionIcon>
            )}
          </Group>
        );
      })}
      {!patient.mergedIntoId && (
        <Stack gap={0} align="flex-start">
          <Button variant="subtle" size="compact-sm" leftSection={<IconLink size={14} aria-hidden />} onClick={modal.open}>
            Link someone
          </Button>
        </Stack>
      )}
      <LinkModal
        patient={patient}
        opened={linking}
        onClose={modal.close}
        onLinked={() => {
          modal.close();
          onChanged();
        }}
      />
    </>
  );
}
