import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Group, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Text, Textarea } from '@mantine/core';
import { IconPhoneCall } from '@tabler/icons-react';
import { errorMessage } from '../../api/client.ts';
import { logCall, type CallDirection, type CallOutcome } from '../../api/timeline.ts';
import { errorAt, fieldErrorsOf } from '../../common/fieldErrors.ts';
import { useAction } from '../../common/useAction.ts';

const OUTCOMES: Array<{ value: CallOutcome; label: string }> = [
  { value: 'answered', label: 'Answered' },
  { value: 'no_answer', label: 'No answer' },
  { value: 'voicemail', label: 'Left a voicemail' },
  { value: 'busy', label: 'Line busy' },
  { value: 'wrong_number', label: 'Wrong number' },
];

/** Logs a phone call: which way, how it went, how long, what was said. */
export function CallForm({ patientId, onAdded }: { patientId: string; onAdded: () => void }) {
  const [direction, setDirection] = useState<CallDirection>('outbound');
  const [outcome, setOutcome] = useState<CallOutcome>('answered');
  const [minutes, setMinutes] = useState<number | ''>('');
  const [notes, setNotes] = useState('');
  const save = useAction(logCall);
  const errors = fieldErrorsOf(save.error);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const call = {
      direction,
      outcome,
      ...(minutes !== '' ? { durationSeconds: Math.round(minutes * 60) } : {}),
      ...(notes.trim() ? { notes: notes.trim() } : {}),
    };
    if (await save.run(patientId, call)) {
      setMinutes('');
      setNotes('');
      onAdded();
    }
  }

  return (
    <form onSubmit={(event) => void handleSubmit(event)}>
      <Stack gap="xs">
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <Stack gap={4}>
            <Text fz="sm" fw={500} id="call-direction">
              Direction
            </Text>
            <SegmentedControl
              aria-labelledby="call-direction"
              value={direction}
              onChange={(value) => setDirection(value as CallDirection)}
              data={[
                { value: 'outbound', label: 'We called' },
                { value: 'inbound', label: 'They called' },
              ]}
            />
          </Stack>
          <Select
            label="Outcome"
            data={OUTCOMES}
            value={outcome}
            allowDeselect={false}
            onChange={(value) => value && setOutcome(value as CallOutcome)}
            error={errorAt(errors, 'outcome')}
          />
          <NumberInput
            label="Duration (minutes)"
            min={0}
            max={1440}
            value={minutes}
            onChange={(value) => setMinutes(typeof value === 'number' ? value : '')}
            error={errorAt(errors, 'durationSeconds')}
          />
        </SimpleGrid>
        <Textarea
          label="Call notes"
          autosize
          minRows={2}
          maxRows={10}
          value={notes}
          onChange={(event) => setNotes(event.currentTarget.value)}
          error={errorAt(errors, 'notes')}
        />
        {save.error !== null && errors.size === 0 && (
          <Text c="red" fz="sm" role="alert">
            {errorMessage(save.error)}
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" leftSection={<IconPhoneCall size={16} aria-hidden />} loading={save.pending}>
            Log call
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
