import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Button, Divider, Drawer, Group, Stack, Switch, Text, TextInput, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { errorMessage, hasErrorCode } from '../api/client.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { FormProblem } from '../setup/FormProblem.tsx';
import { changeJourney, createJourney, deleteJourney, type Journey, type JourneyInput, type Step, type Trigger } from './api.ts';
import { StepList } from './StepList.tsx';
import { TriggerFields } from './TriggerFields.tsx';
import type { JourneyCatalog } from './useJourneyCatalog.ts';

interface Draft {
  name: string;
  description: string;
  trigger: Trigger;
  steps: Step[];
  enabled: boolean;
}

const draftOf = (j: Journey | null): Draft => ({
  name: j?.name ?? '',
  description: j?.description ?? '',
  trigger: j?.trigger ?? { type: 'appointment.booked' },
  steps: j?.steps ?? [],
  enabled: j?.enabled ?? true,
});

const inputOf = (d: Draft): JourneyInput => ({ name: d.name.trim(), description: d.description.trim() || null, trigger: d.trigger, steps: d.steps, enabled: d.enabled });

/** Creates or edits one journey: its trigger and its steps; the server's problems show at the step they are about. */
export function JourneyDrawer({ journey, catalog, onClose, onSaved }: { journey: Journey | null; catalog: JourneyCatalog; onClose: () => void; onSaved: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(journey));
  const save = useAction((input: JourneyInput) => (journey ? changeJourney(journey.id, { ...input, version: journey.version }) : createJourney(input)));
  const remove = useAction(async () => {
    await deleteJourney(journey!.id);
    return true;
  });
  const errors = fieldErrorsOf(save.error);
  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await save.run(inputOf(draft));
    if (saved) {
      notifications.show({ color: 'teal', message: `Saved “${saved.name}”.` });
      onSaved();
    }
  }

  async function handleDelete() {
    if (!window.confirm(`Delete “${journey!.name}”? Its runs and their history go with it.`)) return;
    if (await remove.run()) {
      notifications.show({ color: 'teal', message: `Deleted “${journey!.name}”.` });
      onSaved();
    }
  }

  return (
    <Drawer opened onClose={onClose} position="right" size="xl" title={journey ? `Edit ${journey.name}` : 'New journey'}>
      <form onSubmit={(event) => void handleSubmit(event)} noValidate>
        <Stack gap="sm">
          <FormProblem error={save.error} claimed={['name', 'description', 'trigger', 'steps', 'enabled']} />
          {hasErrorCode(save.error, 'version_conflict') && (
            <Alert color="orange" variant="light" title="Changed by someone else">
              {errorMessage(save.error)} Close this editor and open the journey again.
            </Alert>
          )}
          <TextInput label="Name" required data-autofocus value={draft.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errorAt(errors, 'name')} />
          <Textarea label="Description" autosize minRows={2} value={draft.description} onChange={(e) => set({ description: e.currentTarget.value })} error={errorAt(errors, 'description')} />
          <Switch label="Switched on" checked={draft.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
          <Divider />
          <Title order={3} fz="md">Trigger</Title>
          <TriggerFields trigger={draft.trigger} onChange={(trigger) => set({ trigger })} errors={errors} catalog={catalog} />
          <Divider />
          <Title order={3} fz="md">Steps</Title>
          {draft.steps.length === 0 && <Text fz="sm" c="dimmed">No steps yet: add what happens, in order.</Text>}
          {errors.get('steps') && <Text c="red" fz="sm">{errors.get('steps')}</Text>}
          <StepList steps={draft.steps} onChange={(steps) => set({ steps })} path="steps" errors={errors} catalog={catalog} label="Step" />
          {remove.error !== null && (
            <Alert color="red" variant="light" title="Not deleted">
              {errorMessage(remove.error)}
            </Alert>
          )}
          <Group justify="space-between" mt="md">
            {journey ? (
              <Button variant="subtle" color="red" onClick={() => void handleDelete()} loading={remove.pending}>
                Delete journey
              </Button>
            ) : (
              <span />
            )}
            <Group>
              <Button variant="default" onClick={onClose}>Cancel</Button>
              <Button type="submit" loading={save.pending}>Save journey</Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Drawer>
  );
}
