import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { errorMessage } from '../api/client.ts';
import { moveLead, type Lead } from '../api/leads.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { formatFullName } from '../patients/format.ts';

/** Marks a lead lost, which needs a reason (for the acquisition reports). */
export function LostReasonModal({ lead, onClose, onLost }: { lead: Lead | null; onClose: () => void; onLost: (lead: Lead) => void }) {
  const [reason, setReason] = useState('');
  const lose = useAction(moveLead);
  const errors = fieldErrorsOf(lose.error);
  const close = () => {
    lose.reset();
    onClose();
  };

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!lead) return;
    const moved = await lose.run(lead.id, 'lost', reason.trim());
    if (moved) {
      setReason('');
      onLost(moved);
    }
  }

  return (
    <Modal opened={lead !== null} onClose={close} title={lead ? `Mark ${formatFullName(lead)} as lost` : ''} centered>
      <form onSubmit={(event) => void handleSubmit(event)}>
        <Stack gap="md">
          <TextInput
            label="Why was the lead lost?"
            placeholder="e.g. chose another practice, not covered by insurance"
            required
            data-autofocus
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            error={errorAt(errors, 'lostReason')}
          />
          {lose.error !== null && errors.size === 0 && (
            <Text c="red" fz="sm" role="alert">
              {errorMessage(lose.error)}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" color="red" loading={lose.pending} disabled={!reason.trim()}>
              Mark as lost
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
