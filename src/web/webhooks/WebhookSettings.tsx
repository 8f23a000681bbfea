import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Badge, Button, Checkbox, CopyButton, Divider, Group, Paper, SimpleGrid, Skeleton, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconCopy, IconLock, IconWebhook } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { FormProblem } from '../setup/FormProblem.tsx';
import { changeWebhook, createWebhook, deleteWebhook, fetchWebhooks, rotateWebhookSecret, sendTestWebhook, type WebhookSubscription } from './api.ts';
import { DeliveryLog } from './DeliveryLog.tsx';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The secret of a webhook just made or rotated, shown this once. */
function NewSecret({ secret, title, onDone }: { secret: string; title: string; onDone: () => void }) {
  return (
    <Alert color="teal" variant="light" icon={<IconLock aria-hidden />} title={title}>
      <Stack gap="xs">
        <Text fz="sm">
          Copy the signing secret now: it is shown only once. The receiver checks each request’s <code>Rapport-Signature</code> header with it (see docs/decisions/0023-webhooks.md).
        </Text>
        <Group gap="xs" align="flex-end" wrap="nowrap">
          <TextInput label="Signing secret" value={secret} readOnly style={{ flex: 1 }} onFocus={(e) => e.currentTarget.select()} />
          <CopyButton value={secret} timeout={2000}>
            {({ copied, copy }) => (
              <Button variant={copied ? 'filled' : 'light'} color={copied ? 'teal' : undefined} leftSection={copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />} onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
        <Group justify="flex-end">
          <Button size="compact-sm" variant="subtle" onClick={onDone}>I have copied it</Button>
        </Group>
      </Stack>
    </Alert>
  );
}

function EventPicker({ eventTypes, value, onChange, error }: { eventTypes: string[]; value: string[]; onChange: (v: string[]) => void; error?: string | undefined }) {
  const groups = [...new Set(eventTypes.map((e) => e.split('.')[0]!))];
  return (
    <Checkbox.Group label="Events" description="What this receiver is told about" value={value} onChange={onChange} error={error}>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs" mt="xs">
        {groups.map((g) => (
          <Stack key={g} gap={4}>
            {eventTypes.filter((e) => e.startsWith(`${g}.`)).map((e) => (
              <Checkbox key={e} value={e} label={e} />
            ))}
          </Stack>
        ))}
      </SimpleGrid>
    </Checkbox.Group>
  );
}

function NewWebhookForm({ eventTypes, onCreated }: { eventTypes: string[]; onCreated: (secret: string) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const create = useAction(createWebhook);
  const errors = fieldErrorsOf(create.error);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const created = await create.run({ url: url.trim(), events, description: description.trim() || null });
    if (created) {
      setUrl('');
      setDescription('');
      setEvents([]);
      onCreated(created.secret);
    }
  }

  return (
    <Paper withBorder p="md" radius="md">
      <form onSubmit={(e) => void handleSubmit(e)} noValidate aria-label="New webhook">
        <Stack gap="sm">
          <Title order={3} fz="sm">Add a webhook</Title>
          <FormProblem error={create.error} claimed={['url', 'events', 'description']} />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Receiver URL" placeholder="https://hooks.example.org/rapport" required value={url} onChange={(e) => setUrl(e.currentTarget.value)} error={errorAt(errors, 'url')} />
            <TextInput label="Description" placeholder="What receives it" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={errorAt(errors, 'description')} />
          </SimpleGrid>
          <EventPicker eventTypes={eventTypes} value={events} onChange={setEvents} error={errorAt(errors, 'events')} />
          <Group justify="flex-end">
            <Button type="submit" loading={create.pending}>Add webhook</Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function StatusBadge({ s }: { s: WebhookSubscription }) {
  if (s.enabled) return <Badge color="teal" variant="light">On</Badge>;
  if (s.disabledReason === 'failing') return <Badge color="red" variant="light">Turned off: kept failing</Badge>;
  return <Badge color="gray" variant="light">Off</Badge>;
}

function SubscriptionCard({ s, onChanged, onSecret }: { s: WebhookSubscription; onChanged: () => void; onSecret: (secret: string) => void }) {
  const [showLog, setShowLog] = useState(false);
  const [logKey, setLogKey] = useState(0);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const label = s.description ?? s.url;

  async function act(name: string, work: () => Promise<unknown>, done: string) {
    setBusy(name);
    try {
      await work();
      notifications.show({ color: 'teal', message: done });
      onChanged();
    } catch (error) {
      notifications.show({ color: 'red', message: errorMessage(error) });
    } finally {
      setBusy(null);
    }
  }

  return (
    <Paper withBorder p="md" radius="md" aria-label={`Webhook ${label}`} component="section">
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Group gap="xs">
              <Text fw={600}>{s.description ?? 'Webhook'}</Text>
              <StatusBadge s={s} />
            </Group>
            <Text fz="sm" c="dimmed" style={{ wordBreak: 'break-all' }}>{s.url}</Text>
          </Stack>
          <Switch
            label="Enabled"
            checked={s.enabled}
            disabled={busy !== null}
            onChange={(e) => {
              const enabled = e.currentTarget.checked;
              void act('toggle', () => changeWebhook(s.id, { enabled }), enabled ? 'Webhook turned on.' : 'Webhook turned off.');
            }}
          />
        </Group>
        <Group gap={4}>
          {s.events.map((e) => (
            <Badge key={e} variant="outline" size="sm" tt="none">{e}</Badge>
          ))}
        </Group>
        <Text fz="xs" c="dimmed">
          Secret {s.secretHint}
          {s.lastDeliveredAt ? ` · last delivered ${when(s.lastDeliveredAt)}` : ''}
          {s.consecutiveFailures ? ` · ${s.consecutiveFailures} failed in a row` : ''}
          {s.previousSecretExpiresAt ? ` · previous secret also signs until ${when(s.previousSecretExpiresAt)}` : ''}
        </Text>
        <Group gap="xs">
          <Button size="compact-sm" variant="light" onClick={() => setShowLog((v) => !v)} aria-expanded={showLog}>{showLog ? 'Hide delivery log' : 'Delivery log'}</Button>
          <Button
            size="compact-sm"
            variant="light"
            loading={busy === 'test'}
            disabled={!s.enabled}
            onClick={() => void act('test', () => sendTestWebhook(s.id).then(() => setLogKey((k) => k + 1)), 'Test event queued.')}
          >
            Send test event
          </Button>
          <Button size="compact-sm" variant="subtle" loading={busy === 'rotate'} onClick={() => void act('rotate', () => rotateWebhookSecret(s.id).then((r) => onSecret(r.secret)), 'New secret made.')}>
            Rotate secret
          </Button>
          {confirmDelete ? (
            <>
              <Button size="compact-sm" color="red" loading={busy === 'delete'} onClick={() => void act('delete', () => deleteWebhook(s.id), 'Webhook deleted.')}>Delete with its log</Button>
              <Button size="compact-sm" variant="subtle" onClick={() => setConfirmDelete(false)}>Keep</Button>
            </>
          ) : (
            <Button size="compact-sm" variant="subtle" color="red" onClick={() => setConfirmDelete(true)}>Delete</Button>
          )}
        </Group>
        {showLog && (
          <>
            <Divider />
            <DeliveryLog key={logKey} subscriptionId={s.id} />
          </>
        )}
      </Stack>
    </Paper>
  );
}

/** The Webhooks tab of Clinic setup: signed event deliveries to the clinic's other systems. */
export function WebhookSettings() {
  const list = useApiQuery(useCallback((signal: AbortSignal) => fetchWebhooks(signal), []));
  const [secret, setSecret] = useState<{ value: string; title: string } | null>(null);

  if (list.status === 'loading') return <Skeleton height={240} radius="md" role="status" aria-label="Loading the webhooks" />;
  if (list.status === 'error') return <ErrorAlert title="The webhooks could not be loaded" error={list.error} onRetry={list.reload} />;
  return (
    <Stack gap="md" maw={960}>
      <Alert variant="light" color="blue" icon={<IconWebhook aria-hidden />} title="Webhooks">
        <Text fz="sm">
          Rapport POSTs a signed JSON event to each receiver when a patient, appointment or message changes. Events carry ids and statuses, not names or contact details. Failed deliveries are retried with backoff for about a day; a webhook whose deliveries keep failing is turned off.
        </Text>
      </Alert>
      {secret && <NewSecret secret={secret.value} title={secret.title} onDone={() => setSecret(null)} />}
      {list.data.items.map((s) => (
        <SubscriptionCard key={s.id} s={s} onChanged={list.refresh} onSecret={(value) => setSecret({ value, title: 'New signing secret' })} />
      ))}
      {list.data.items.length === 0 && <Text c="dimmed" fz="sm">No webhooks yet.</Text>}
      <NewWebhookForm
        eventTypes={list.data.eventTypes}
        onCreated={(value) => {
          setSecret({ value, title: 'Webhook added' });
          list.refresh();
        }}
      />
    </Stack>
  );
}
