import { useState } from 'react';
import { Button, Group, Modal, Radio, Stack, Text } from '@mantine/core';
import { IconUserCheck } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { duplicateMatchesOf } from '../api/duplicates.ts';
import { convertLead, type ConvertInput, type Lead } from '../api/leads.ts';
import type { PatientSearchHit } from '../api/patients.ts';
import { useAction } from '../common/useAction.ts';
import { PossibleDuplicates } from '../duplicates/PossibleDuplicates.tsx';
import { formatCalendarDate, formatFullName, formatPhone } from '../patients/format.ts';
import { PatientPicker } from '../patients/PatientPicker.tsx';

interface ConvertLeadModalProps {
  lead: Lead | null;
  onClose: () => void;
  onConverted: (result: { patientId: string; created: boolean }) => void;
}

function LeadSummary({ lead }: { lead: Lead }) {
  const facts = [
    lead.birthDate ? `born ${formatCalendarDate(lead.birthDate)}` : null,
    lead.phone ? formatPhone(lead.phone) : null,
    lead.email,
  ].filter(Boolean);
  return (
    <Text fz="sm" c="dimmed">
      {formatFullName(lead)}
      {facts.length ? `, ${facts.join(' · ')}` : ''}. The patient keeps the lead’s source for attribution.
    </Text>
  );
}

/** Turns a lead into a patient: a new record from the lead's details, or a link to someone already registered. */
export function ConvertLeadModal({ lead, onClose, onConverted }: ConvertLeadModalProps) {
  const [mode, setMode] = useState<'new' | 'existing'>('new');
  const [existing, setExisting] = useState<PatientSearchHit | null>(null);
  const convert = useAction(convertLead);
  const matches = duplicateMatchesOf(convert.error);

  const close = () => {
    convert.reset();
    setExisting(null);
    setMode('new');
    onClose();
  };

  async function run(input: ConvertInput) {
    if (!lead) return;
    const result = await convert.run(lead.id, input);
    if (result) {
      setExisting(null);
      setMode('new');
      convert.reset();
      onConverted(result);
    }
  }

  return (
    <Modal opened={lead !== null} onClose={close} title={lead ? `Convert ${formatFullName(lead)}` : ''} size="lg">
      {lead && (
        <Stack gap="md">
          <Radio.Group value={mode} onChange={(value) => setMode(value === 'existing' ? 'existing' : 'new')} label="Convert into">
            <Stack gap="xs" mt="xs">
              <Radio value="new" label="A new patient, registered from this lead" />
              <Radio value="existing" label="A patient who is already registered" />
            </Stack>
          </Radio.Group>
          {mode === 'new' ? (
            <LeadSummary lead={lead} />
          ) : (
            <PatientPicker label="Find the patient" initialQuery={formatFullName(lead)} value={existing} onChange={setExisting} />
          )}
          {matches.length > 0 ? (
            <PossibleDuplicates
              matches={matches}
              confirming={convert.pending}
              onConfirmDifferent={() => void run({ confirmNotDuplicate: true })}
              matchAction={(patient) => (
                <Group>
                  <Button size="xs" variant="light" onClick={() => void run({ patientId: patient.id })}>
                    Link the lead to {formatFullName(patient)}
                  </Button>
                </Group>
              )}
            />
          ) : (
            convert.error !== null && (
              <Text c="red" fz="sm" role="alert">
                {errorMessage(convert.error)}
              </Text>
            )
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              leftSection={<IconUserCheck size={16} aria-hidden />}
              loading={convert.pending && matches.length === 0}
              disabled={mode === 'existing' && !existing}
              onClick={() => void run(mode === 'existing' && existing ? { patientId: existing.id } : {})}
            >
              {mode === 'existing' && existing ? `Link to ${formatFullName(existing)}` : 'Convert to patient'}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
