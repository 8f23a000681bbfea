import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Button, Group, Modal, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { errorMessage } from '../api/client.ts';
import { createLead, type Lead, type NewLead } from '../api/leads.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';

const EMPTY = { givenName: '', familyName: '', phone: '', email: '', birthDate: '', interest: '', message: '', channel: '', campaign: '', referrer: '' };
type Draft = typeof EMPTY;

function toLead(d: Draft): NewLead {
  const opt = (v: string) => v.trim() || undefined;
  const source = { channel: opt(d.channel), campaign: opt(d.campaign), referrer: opt(d.referrer) };
  return {
    givenName: d.givenName.trim(),
    familyName: d.familyName.trim(),
    phone: opt(d.phone),
    email: opt(d.email),
    birthDate: opt(d.birthDate),
    interest: opt(d.interest),
    message: opt(d.message),
    ...(source.channel || source.campaign || source.referrer ? { source } : {}),
  };
}

/** Records a first call or enquiry as a lead, with where it came from. */
export function NewLeadModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (lead: Lead) => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const save = useAction(createLead);
  const errors = fieldErrorsOf(save.error);
  const set = (key: keyof Draft) => (event: { currentTarget: { value: string } }) => {
    const value = event.currentTarget.value;
    setDraft((d) => ({ ...d, [key]: value }));
  };

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const lead = await save.run(toLead(draft));
    if (lead) {
      setDraft(EMPTY);
      onCreated(lead);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title="New lead" size="lg">
      <form onSubmit={(event) => void handleSubmit(event)} noValidate>
        <Stack gap="md">
          {save.error !== null && errors.size === 0 && (
            <Alert color="red" variant="light">
              {errorMessage(save.error)}
            </Alert>
          )}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Given name" required data-autofocus value={draft.givenName} onChange={set('givenName')} error={errorAt(errors, 'givenName')} />
            <TextInput label="Family name" required value={draft.familyName} onChange={set('familyName')} error={errorAt(errors, 'familyName')} />
            <TextInput label="Phone" type="tel" value={draft.phone} onChange={set('phone')} error={errorAt(errors, 'phone')} />
            <TextInput label="Email" type="email" value={draft.email} onChange={set('email')} error={errorAt(errors, 'email')} />
            <TextInput label="Date of birth" type="date" value={draft.birthDate} onChange={set('birthDate')} error={errorAt(errors, 'birthDate')} />
            <TextInput
              label="Interested in"
              placeholder="e.g. teeth whitening, new patient check-up"
              value={draft.interest}
              onChange={set('interest')}
              error={errorAt(errors, 'interest')}
            />
          </SimpleGrid>
          <Textarea label="Message or call notes" autosize minRows={2} value={draft.message} onChange={set('message')} error={errorAt(errors, 'message')} />
          <Text fz="xs" fw={600} c="dimmed" tt="uppercase" style={{ letterSpacing: 0.5 }}>
            Where they came from
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
            <TextInput label="Channel" placeholder="e.g. phone, google, referral" value={draft.channel} onChange={set('channel')} error={errorAt(errors, 'source.channel')} />
            <TextInput label="Campaign" value={draft.campaign} onChange={set('campaign')} error={errorAt(errors, 'source.campaign')} />
            <TextInput label="Referred by" value={draft.referrer} onChange={set('referrer')} error={errorAt(errors, 'source.referrer')} />
          </SimpleGrid>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.pending}>
              Add lead
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
