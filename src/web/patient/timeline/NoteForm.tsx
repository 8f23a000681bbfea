import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Group, Stack, Text, Textarea } from '@mantine/core';
import { IconNote } from '@tabler/icons-react';
import { errorMessage } from '../../api/client.ts';
import { addNote } from '../../api/timeline.ts';
import { errorAt, fieldErrorsOf } from '../../common/fieldErrors.ts';
import { useAction } from '../../common/useAction.ts';

/** A free-text note on the patient's timeline. */
export function NoteForm({ patientId, onAdded }: { patientId: string; onAdded: () => void }) {
  const [body, setBody] = useState('');
  const save = useAction(addNote);
  const errors = fieldErrorsOf(save.error);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (await save.run(patientId, body)) {
      setBody('');
      onAdded();
    }
  }

  return (
    <form onSubmit={(event) => void handleSubmit(event)}>
      <Stack gap="xs">
        <Textarea
          label="Note"
          placeholder="What happened, what was agreed, what to remember next time"
          autosize
          minRows={3}
          maxRows={12}
          value={body}
          onChange={(event) => setBody(event.currentTarget.value)}
          error={errorAt(errors, 'body')}
        />
        {save.error !== null && errors.size === 0 && (
          <Text c="red" fz="sm" role="alert">
            {errorMessage(save.error)}
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" leftSection={<IconNote size={16} aria-hidden />} loading={save.pending} disabled={!body.trim()}>
            Add note
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
