import { useMemo, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Badge, Button, Divider, Drawer, Group, List, Select, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { errorMessage, hasErrorCode } from '../api/client.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { FormProblem } from '../setup/FormProblem.tsx';
import { changeTemplate, createTemplate, deleteTemplate, type Channel, type MessageTemplate, type NewTemplate, type Purpose, type VariableContext } from './api.ts';
import { checkDraft, type TemplateCheck } from './templateCheck.ts';
import { TemplatePreview } from './TemplatePreview.tsx';
import { VariablePicker } from './VariablePicker.tsx';
import { channelName, CHANNELS, PURPOSES } from './words.ts';

export type TemplateSeed = { key: string; name: string; purpose: Purpose; channel?: Channel };

interface Draft {
  key: string;
  name: string;
  channel: Channel;
  language: string;
  purpose: Purpose;
  subject: string;
  body: string;
}

const draftOf = (t: MessageTemplate | null, seed: TemplateSeed | null): Draft => ({
  key: t?.key ?? seed?.key ?? '',
  name: t?.name ?? seed?.name ?? '',
  channel: t?.channel ?? seed?.channel ?? 'sms',
  language: t?.language ?? 'en',
  purpose: t?.purpose ?? seed?.purpose ?? 'care',
  subject: t?.subject ?? '',
  body: t?.body ?? '',
});

interface TemplateDrawerProps {
  template: MessageTemplate | null;
  /** For a new template: the key (and name, purpose) of the group it joins, when it joins one. */
  seed: TemplateSeed | null;
  /** What the journeys sending this key know; null when none sends it. */
  allowed: VariableContext[] | null;
  onClose: () => void;
  onSaved: () => void;
}

/** Writes one template: checked as it is typed (the same checks the server makes), then previewed. */
export function TemplateDrawer({ template, seed, allowed, onClose, onSaved }: TemplateDrawerProps) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(template, seed));
  const save = useAction((d: Draft) => {
    const subject = d.channel === 'email' ? d.subject : null;
    if (template) return changeTemplate(template.id, { version: template.version, name: d.name.trim(), purpose: d.purpose, subject, body: d.body });
    const input: NewTemplate = { key: d.key.trim(), name: d.name.trim(), channel: d.channel, language: d.language.trim(), purpose: d.purpose, subject, body: d.body };
    return createTemplate(input);
  });
  const remove = useAction(async () => {
    await deleteTemplate(template!.id);
    return true;
  });
  const serverErrors = fieldErrorsOf(save.error);
  const live = useMemo(() => checkDraft(draft, allowed), [draft, allowed]);
  const set = (change: Partial<Draft>) => {
    // A refusal is about what was sent; once the text changes, the live checks speak instead.
    if (save.error) save.reset();
    setDraft((d) => ({ ...d, ...change }));
  };
  const problemAt = (field: 'subject' | 'body') => errorAt(serverErrors, field) ?? live.problems.get(field);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await save.run(draft);
    if (saved) {
      notifications.show({ color: 'teal', message: `Saved the ${channelName(saved.channel)} template “${saved.name}” (${saved.language}).` });
      onSaved();
    }
  }

  async function handleDelete() {
    if (!window.confirm(`Delete the ${channelName(template!.channel)} template “${template!.name}” in ${template!.language}?`)) return;
    if (await remove.run()) {
      notifications.show({ color: 'teal', message: 'Template deleted.' });
      onSaved();
    }
  }

  const title = template ? `${template.name}: ${channelName(template.channel)}, ${template.language}` : 'New template';
  return (
    <Drawer opened onClose={onClose} position="right" size="xl" title={title}>
      <form onSubmit={(event) => void handleSubmit(event)} noValidate>
        <Stack gap="sm">
          <FormProblem error={save.error} claimed={['key', 'name', 'channel', 'language', 'purpose', 'subject', 'body']} />
          {hasErrorCode(save.error, 'version_conflict') && (
            <Alert color="orange" variant="light" title="Changed by someone else">
              {errorMessage(save.error)}
            </Alert>
          )}
          {!template && (
            <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
              <TextInput label="Key" description="Journeys send by key" required value={draft.key} onChange={(e) => set({ key: e.currentTarget.value })} error={errorAt(serverErrors, 'key')} />
              <Select label="Channel" allowDeselect={false} data={CHANNELS} value={draft.channel} onChange={(v) => set({ channel: (v ?? 'sms') as Channel })} error={errorAt(serverErrors, 'channel')} />
              <TextInput label="Language" description="en, es, pt-BR ..." value={draft.language} onChange={(e) => set({ language: e.currentTarget.value })} error={errorAt(serverErrors, 'language')} />
            </SimpleGrid>
          )}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            <TextInput label="Name" required data-autofocus value={draft.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errorAt(serverErrors, 'name')} />
            <Select label="Purpose" description="Consent is asked per purpose" allowDeselect={false} data={PURPOSES} value={draft.purpose} onChange={(v) => set({ purpose: (v ?? 'care') as Purpose })} error={errorAt(serverErrors, 'purpose')} />
          </SimpleGrid>
          {draft.channel === 'email' && <TextInput label="Subject" required value={draft.subject} onChange={(e) => set({ subject: e.currentTarget.value })} error={problemAt('subject')} />}
          <MessageField body={draft.body} onChange={(text) => set({ body: text })} error={problemAt('body')} allowed={allowed} sms={live.sms} />
          {live.warnings.length > 0 && (
            <Alert color="orange" variant="light" title="Check before saving">
              <List size="sm">{live.warnings.map((w) => <List.Item key={w}>{w}</List.Item>)}</List>
            </Alert>
          )}
          {template && template.usedBy.length > 0 && (
            <Text fz="xs" c="dimmed">Sent by {template.usedBy.map((j) => `“${j.name}”${j.enabled ? '' : ' (off)'}`).join(', ')}.</Text>
          )}
          {remove.error !== null && (
            <Alert color="red" variant="light" title="Not deleted">{errorMessage(remove.error)}</Alert>
          )}
          <Group justify="space-between">
            {template ? (
              <Button variant="subtle" color="red" onClick={() => void handleDelete()} loading={remove.pending}>Delete template</Button>
            ) : (
              <span />
            )}
            <Group>
              <Button variant="default" onClick={onClose}>Cancel</Button>
              <Button type="submit" loading={save.pending}>Save template</Button>
            </Group>
          </Group>
          <Divider my="xs" />
          <Title order={3} fz="md">Preview</Title>
          <TemplatePreview
            draft={{
              ...(draft.key.trim() ? { key: draft.key.trim() } : {}),
              channel: draft.channel,
              subject: draft.channel === 'email' ? draft.subject : null,
              body: draft.body,
              purpose: draft.purpose,
              language: draft.language.trim() || 'en',
            }}
          />
        </Stack>
      </form>
    </Drawer>
  );
}

/** The message text, with a variable picker that inserts at the cursor and the SMS length as typed. */
function MessageField({ body, onChange, error, allowed, sms }: { body: string; onChange: (body: string) => void; error: string | undefined; allowed: VariableContext[] | null; sms: TemplateCheck['sms'] }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  function insert(name: string) {
    const el = ref.current;
    const token = `{{${name}}}`;
    const start = el?.selectionStart ?? body.length;
    const end = el?.selectionEnd ?? body.length;
    onChange(body.slice(0, start) + token + body.slice(end));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + token.length, start + token.length);
    });
  }
  return (
    <Stack gap={4}>
      <Group justify="space-between" align="flex-end">
        <Text fz="sm" fw={500}>Message</Text>
        <VariablePicker allowed={allowed} onPick={insert} />
      </Group>
      <Textarea ref={ref} aria-label="Message" autosize minRows={5} maxRows={16} ff="monospace" value={body} onChange={(e) => onChange(e.currentTarget.value)} error={error} />
      {sms && (
        <Group gap={6}>
          <Badge variant="light" color={sms.segments > 1 ? 'orange' : 'teal'}>
            {sms.segments} SMS segment{sms.segments === 1 ? '' : 's'}
          </Badge>
          <Text fz="xs" c="dimmed">{sms.characters} characters with sample values ({sms.encoding})</Text>
        </Group>
      )}
    </Stack>
  );
}
