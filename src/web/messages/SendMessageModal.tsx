import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Checkbox, Group, Modal, SegmentedControl, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { mayBeUrgent } from '../../modules/messaging/types.ts';
import { errorMessage } from '../api/client.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { PURPOSES, sendMessage, type Channel, type Message, type Purpose } from './api.ts';
import { purposeName } from './format.ts';

// getRandomValues, unlike randomUUID, also works on a plain-http address.
const newRequestId = () => `ui-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`;

/**
 * A message staff write to one patient. It goes through the outbox like any other, so it may be
 * held back (no address, no consent, quiet hours): the answer says what became of it.
 */
export function SendMessageModal({ patientId, opened, onClose, onSent }: { patientId: string; opened: boolean; onClose: () => void; onSent: (message: Message) => void }) {
  const [channel, setChannel] = useState<Channel>('sms');
  const [purpose, setPurpose] = useState<Purpose>('care');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [urgent, setUrgent] = useState(false);
  // One id per message being written: pressing Send twice (or a retried request) sends it once.
  const [requestId, setRequestId] = useState(newRequestId);
  const send = useAction((input: Parameters<typeof sendMessage>[1]) => sendMessage(patientId, input));
  const errors = fieldErrorsOf(send.error);
  const close = () => {
    send.reset();
    onClose();
  };

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const sent = await send.run({ channel, purpose, body, urgent: urgent && mayBeUrgent(purpose), requestId, ...(channel === 'email' ? { subject } : {}) });
    if (sent) {
      setSubject('');
      setBody('');
      setUrgent(false);
      setRequestId(newRequestId());
      onSent(sent);
    }
  }

  return (
    <Modal opened={opened} onClose={close} title="Send a message" centered size="lg">
      <form onSubmit={(event) => void handleSubmit(event)} noValidate>
        <Stack gap="sm">
          <SegmentedControl
            value={channel}
            onChange={(v) => setChannel(v as Channel)}
            data={[{ value: 'sms', label: 'SMS' }, { value: 'email', label: 'Email' }, { value: 'in_app', label: 'In-app' }]}
            aria-label="Channel"
          />
          <Select
            label="Purpose"
            allowDeselect={false}
            data={PURPOSES.map((p) => ({ value: p, label: purposeName(p) }))}
            value={purpose}
            onChange={(v) => {
              const next = (v ?? 'care') as Purpose;
              setPurpose(next);
              if (!mayBeUrgent(next)) setUrgent(false);
            }}
            error={errorAt(errors, 'purpose')}
            description={purpose === 'care' || purpose === 'billing' ? undefined : 'Sent only if the patient opted in to this purpose on this channel.'}
          />
          {channel === 'email' && <TextInput label="Subject" required value={subject} onChange={(e) => setSubject(e.currentTarget.value)} error={errorAt(errors, 'subject')} maxLength={200} />}
          <Textarea
            label="Message"
            required
            data-autofocus
            autosize
            minRows={4}
            maxRows={12}
            value={body}
            onChange={(e) => setBody(e.currentTarget.value)}
            error={errorAt(errors, 'body')}
            description={channel === 'sms' ? `${body.length} characters` : undefined}
          />
          {/* Only care may be urgent: the server refuses it for any other purpose. */}
          {mayBeUrgent(purpose) && (
            <Checkbox label="Urgent: send even in quiet hours and past frequency caps" checked={urgent} onChange={(e) => setUrgent(e.currentTarget.checked)} error={errorAt(errors, 'urgent')} />
          )}
          {send.error !== null && errors.size === 0 && (
            <Text c="red" fz="sm" role="alert">
              {errorMessage(send.error)}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={send.pending} disabled={!body.trim() || (channel === 'email' && !subject.trim())}>
              Send
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
