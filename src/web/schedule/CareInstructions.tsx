import { Button, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import type { Appointment } from '../api/schedule.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';

/** Roles that write clinical content (as the API enforces). */
const AUTHORS = new Set<string>(['admin', 'clinician']);
export const canWriteCareInstructions = (role: string) => AUTHORS.has(role);

/** Care instructions belong to a visit under way or over. */
export const hasCareInstructions = (appointment: Appointment) => appointment.status === 'arrived' || appointment.status === 'fulfilled';

interface CareInstructionsProps {
  appointment: Appointment;
  canWrite: boolean;
  /** The text being edited. */
  draft: string;
  onDraftChange: (text: string) => void;
  onSave: () => void;
  pending: boolean;
  error: unknown;
}

/**
 * The visit's own care instructions: emailed to the patient the day after the visit, instead of
 * the service's. Clinicians and administrators edit them; other staff read them.
 */
export function CareInstructions({ appointment, canWrite, draft, onDraftChange, onSave, pending, error }: CareInstructionsProps) {
  if (!canWrite) {
    if (!appointment.careInstructions) return null;
    return (
      <Stack gap={4} component="section" aria-label="Care instructions">
        <Title order={3} fz="sm">
          Care instructions for this visit
        </Title>
        <Text fz="sm" style={{ whiteSpace: 'pre-wrap' }}>
          {appointment.careInstructions}
        </Text>
      </Stack>
    );
  }
  const dirty = draft.trim() !== (appointment.careInstructions ?? '');
  return (
    <Stack gap="xs" component="section" aria-label="Care instructions">
      <Textarea
        label="Care instructions for this visit"
        description={`Emailed to the patient the day after the visit${
          appointment.status === 'arrived' ? ' (saved with Complete too)' : ''
        }. Leave empty to send the service's instructions. Email is not confidential: keep diagnoses and test results out.`}
        autosize
        minRows={3}
        maxLength={2000}
        value={draft}
        onChange={(e) => onDraftChange(e.currentTarget.value)}
        error={errorAt(fieldErrorsOf(error), 'careInstructions')}
      />
      <Group justify="flex-end">
        <Button size="xs" variant="light" disabled={!dirty} loading={pending} onClick={onSave}>
          Save care instructions
        </Button>
      </Group>
    </Stack>
  );
}
