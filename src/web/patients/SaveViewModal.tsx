import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Button, Checkbox, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { createSavedView, type SavedView } from '../api/catalog.ts';
import { errorMessage } from '../api/client.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';

interface SaveViewModalProps {
  opened: boolean;
  filters: Record<string, string>;
  onClose: () => void;
  onSaved: (view: SavedView) => void;
}

/** Names the current filters so they can be picked again later, by the user or by the whole clinic. */
export function SaveViewModal({ opened, filters, onClose, onSaved }: SaveViewModalProps) {
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const save = useAction(createSavedView);
  const errors = fieldErrorsOf(save.error);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const view = await save.run({ name: name.trim(), filters, shared });
    if (view) {
      setName('');
      setShared(false);
      onSaved(view);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Save this view" centered>
      <form onSubmit={(event) => void handleSubmit(event)}>
        <Stack gap="md">
          <Text fz="sm" c="dimmed">
            Saves the search and filters as they are now, to open again from “Saved views”.
          </Text>
          {save.error !== null && errors.size === 0 && (
            <Alert color="red" variant="light">
              {errorMessage(save.error)}
            </Alert>
          )}
          <TextInput
            label="Name"
            placeholder="e.g. Lapsed diabetes patients"
            required
            data-autofocus
            maxLength={80}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={errorAt(errors, 'name') ?? errorAt(errors, 'filters')}
          />
          <Checkbox
            label="Share with everyone at the clinic"
            description="Shared views appear in colleagues’ list too; only you can delete it."
            checked={shared}
            onChange={(event) => setShared(event.currentTarget.checked)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.pending} disabled={!name.trim()}>
              Save view
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
