import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Button, Divider, Group, NumberInput, PasswordInput, SegmentedControl, SimpleGrid, Skeleton, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconInfoCircle } from '@tabler/icons-react';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { FormProblem } from '../setup/FormProblem.tsx';
import { changeMessagingSettings, fetchMessagingSettings, PURPOSES, type Cap, type MessagingSettings, type MessagingSettingsChange, type Purpose, type SmsProvider } from './api.ts';
import { purposeName } from './format.ts';

type Num = number | '';
interface Draft {
  emailFromName: string;
  emailFromAddress: string;
  emailReplyTo: string;
  smsProvider: SmsProvider;
  smsFrom: string;
  twilioAccountSid: string;
  twilioAuthToken: string;
  twilioBaseUrl: string;
  webhookUrl: string;
  webhookSecret: string;
  quietHoursStart: string;
  quietHoursEnd: string;
  caps: Record<Purpose, { count: Num; days: Num }>;
  helpText: string;
}

function draftOf(s: MessagingSettings): Draft {
  return {
    emailFromName: s.emailFromName ?? '',
    emailFromAddress: s.emailFromAddress ?? '',
    emailReplyTo: s.emailReplyTo ?? '',
    smsProvider: s.smsProvider,
    smsFrom: s.smsFrom ?? '',
    twilioAccountSid: s.twilioAccountSid ?? '',
    twilioAuthToken: '',
    twilioBaseUrl: s.twilioBaseUrl ?? '',
    webhookUrl: s.webhookUrl ?? '',
    webhookSecret: '',
    quietHoursStart: s.quietHoursStart,
    quietHoursEnd: s.quietHoursEnd,
    caps: Object.fromEntries(PURPOSES.map((p) => [p, { ...s.frequencyCaps[p] }])) as Draft['caps'],
    helpText: s.helpText ?? '',
  };
}

const orNull = (v: string) => v.trim() || null;

/** Secrets go only when typed: a blank field keeps the saved one. */
function changeOf(d: Draft): MessagingSettingsChange {
  const caps = Object.fromEntries(PURPOSES.map((p) => [p, { count: d.caps[p].count === '' ? 0 : d.caps[p].count, days: d.caps[p].days === '' ? 0 : d.caps[p].days } satisfies Cap]));
  return {
    emailFromName: orNull(d.emailFromName),
    emailFromAddress: orNull(d.emailFromAddress),
    emailReplyTo: orNull(d.emailReplyTo),
    smsProvider: d.smsProvider,
    smsFrom: orNull(d.smsFrom),
    twilioAccountSid: orNull(d.twilioAccountSid),
    twilioBaseUrl: orNull(d.twilioBaseUrl),
    webhookUrl: orNull(d.webhookUrl),
    ...(d.twilioAuthToken ? { twilioAuthToken: d.twilioAuthToken } : {}),
    ...(d.webhookSecret ? { webhookSecret: d.webhookSecret } : {}),
    quietHoursStart: d.quietHoursStart,
    quietHoursEnd: d.quietHoursEnd,
    frequencyCaps: caps,
    helpText: orNull(d.helpText),
  };
}

const CLAIMED = [
  'emailFromName', 'emailFromAddress', 'emailReplyTo', 'smsProvider', 'smsFrom', 'twilioAccountSid', 'twilioAuthToken', 'twilioBaseUrl',
  'webhookUrl', 'webhookSecret', 'quietHoursStart', 'quietHoursEnd', 'frequencyCaps', 'helpText',
];

function DeliveryNotice({ settings }: { settings: MessagingSettings }) {
  const email = settings.smtpConfigured ? 'Email: sent through the server’s SMTP relay.' : 'Email: sandbox (no SMTP_URL on the server). Emails are kept on Messages › Sandbox and not delivered.';
  const sms =
    settings.delivery.sms === 'sandbox'
      ? 'SMS: sandbox (no provider chosen below). Texts are kept on Messages › Sandbox and not delivered.'
      : `SMS: sent through ${settings.delivery.sms === 'twilio' ? 'Twilio' : 'the webhook'}.`;
  const sandbox = settings.delivery.email === 'sandbox' || settings.delivery.sms === 'sandbox';
  return (
    <Alert color={sandbox ? 'grape' : 'teal'} variant="light" icon={<IconInfoCircle aria-hidden />} title="Where messages go now">
      <Text fz="sm">{email}</Text>
      <Text fz="sm">{sms}</Text>
    </Alert>
  );
}

function SettingsForm({ settings, onSaved }: { settings: MessagingSettings; onSaved: (s: MessagingSettings) => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const save = useAction(changeMessagingSettings);
  const errors = fieldErrorsOf(save.error);
  const set = <K extends keyof Draft>(key: K) => (value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const text = (key: 'emailFromName' | 'emailFromAddress' | 'emailReplyTo' | 'smsFrom' | 'twilioAccountSid' | 'twilioAuthToken' | 'twilioBaseUrl' | 'webhookUrl' | 'webhookSecret' | 'quietHoursStart' | 'quietHoursEnd' | 'helpText') => ({
    value: draft[key],
    onChange: (e: { currentTarget: { value: string } }) => set(key)(e.currentTarget.value),
    error: errorAt(errors, key),
  });
  const setCap = (purpose: Purpose, part: 'count' | 'days') => (value: number | string) =>
    setDraft((d) => ({ ...d, caps: { ...d.caps, [purpose]: { ...d.caps[purpose], [part]: typeof value === 'number' ? value : '' } } }));

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await save.run(changeOf(draft));
    if (saved) {
      notifications.show({ color: 'teal', message: 'Communication settings saved.' });
      onSaved(saved);
    }
  }

  return (
    <form onSubmit={(event) => void handleSubmit(event)} noValidate>
      <Stack gap="md" maw={760}>
        <DeliveryNotice settings={settings} />
        <FormProblem error={save.error} claimed={CLAIMED} />
        <Title order={2} fz="md">Email sender</Title>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <TextInput label="From name" placeholder="The clinic’s name" {...text('emailFromName')} />
          <TextInput label="From address" placeholder="hello@clinic.example.org" {...text('emailFromAddress')} />
          <TextInput label="Reply-to" placeholder="front.desk@clinic.example.org" {...text('emailReplyTo')} />
        </SimpleGrid>
        <Divider />
        <Title order={2} fz="md">SMS provider</Title>
        <SegmentedControl
          value={draft.smsProvider}
          onChange={(v) => set('smsProvider')(v as SmsProvider)}
          data={[{ value: 'none', label: 'None (sandbox)' }, { value: 'twilio', label: 'Twilio' }, { value: 'webhook', label: 'Webhook' }]}
          aria-label="SMS provider"
        />
        {errorAt(errors, 'smsProvider') && <Text c="red" fz="sm">{errorAt(errors, 'smsProvider')}</Text>}
        {draft.smsProvider === 'twilio' && (
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Account SID" placeholder="AC…" required {...text('twilioAccountSid')} />
            <PasswordInput label="Auth token" required placeholder={settings.twilioAuthTokenSet ? 'Saved: leave blank to keep it' : ''} autoComplete="off" {...text('twilioAuthToken')} />
            <TextInput label="From number" placeholder="+14135550100" required {...text('smsFrom')} />
            <TextInput label="API base URL" placeholder="https://api.twilio.com" description="Only for a Twilio-compatible test server" {...text('twilioBaseUrl')} />
          </SimpleGrid>
        )}
        {draft.smsProvider === 'webhook' && (
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Webhook URL" placeholder="https://sms-gateway.example.net/send" required {...text('webhookUrl')} />
            <PasswordInput label="Signing secret" required description="At least 16 characters" placeholder={settings.webhookSecretSet ? 'Saved: leave blank to keep it' : ''} autoComplete="off" {...text('webhookSecret')} />
            <TextInput label="Sender" placeholder="+14135550100 or a sender id" {...text('smsFrom')} />
          </SimpleGrid>
        )}
        <Divider />
        <Title order={2} fz="md">Quiet hours</Title>
        <Text fz="sm" c="dimmed">
          Nothing goes out between these times in each patient’s own time zone but urgent care messages and medication reminders at the dose times set for them; what else falls due then waits until the end. The same time twice means no quiet hours.
        </Text>
        <Group gap="sm">
          <TextInput type="time" label="From" w={140} {...text('quietHoursStart')} />
          <TextInput type="time" label="Until" w={140} {...text('quietHoursEnd')} />
        </Group>
        <Divider />
        <Title order={2} fz="md">Frequency caps</Title>
        <Text fz="sm" c="dimmed">
          At most this many messages of each purpose to one patient in the number of days given; 0 means no cap. Urgent messages are not counted against it.
        </Text>
        <Table verticalSpacing={4} w="auto" aria-label="Frequency caps">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Purpose</Table.Th>
              <Table.Th>At most (messages)</Table.Th>
              <Table.Th>In (days)</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {PURPOSES.map((p) => (
              <Table.Tr key={p}>
                <Table.Td>{purposeName(p)}</Table.Td>
                <Table.Td>
                  <NumberInput aria-label={`${purposeName(p)}: at most`} min={0} max={1000} w={120} value={draft.caps[p].count} onChange={setCap(p, 'count')} error={errorAt(errors, `frequencyCaps.${p}.count`)} />
                </Table.Td>
                <Table.Td>
                  <NumberInput aria-label={`${purposeName(p)}: in days`} min={1} max={365} w={120} value={draft.caps[p].days} onChange={setCap(p, 'days')} error={errorAt(errors, `frequencyCaps.${p}.days`)} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Divider />
        <Textarea label="Help text" description="The answer to a patient who texts HELP, and the footer of the preference page (320 characters at most)." autosize minRows={2} maxLength={320} {...text('helpText')} />
        <Group justify="flex-end">
          <Button type="submit" loading={save.pending}>Save communication settings</Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The Communications tab of Clinic setup: sender, SMS provider, quiet hours, caps and help text. */
export function CommunicationSettings() {
  const settings = useApiQuery(useCallback((signal: AbortSignal) => fetchMessagingSettings(signal), []));
  if (settings.status === 'loading') return <Skeleton height={320} radius="md" role="status" aria-label="Loading the communication settings" />;
  if (settings.status === 'error') return <ErrorAlert title="The communication settings could not be loaded" error={settings.error} onRetry={settings.reload} />;
  // Keyed by the save time: a saved change starts the form afresh from what the server kept.
  return <SettingsForm key={settings.data.updatedAt ?? 'defaults'} settings={settings.data} onSaved={settings.setData} />;
}
