import { useCallback, useMemo, useState } from 'react';
import { Alert, Badge, Button, Group, Paper, Stack, Switch, Text, Title } from '@mantine/core';
import { errorMessage } from '../api/client.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { useLocation } from '../router.tsx';
import { fetchPreferences, savePreferences, type ConsentAnswer, type ConsentChange, type Purpose, type PreferencesView } from './api.ts';
import { LinkFrame, LinkLoading, LinkProblem } from './LinkFrame.tsx';

/** What each kind of message is, in plain words. */
export const PURPOSE_TEXT: Record<Purpose, { label: string; description: string }> = {
  care: { label: 'Appointments and care', description: 'Booking confirmations, reminders, changes to your visits, and advice after a visit.' },
  billing: { label: 'Billing', description: 'Invoices and reminders about payments due.' },
  education: { label: 'Health tips', description: 'Information about looking after your health, such as seasonal advice.' },
  marketing: { label: 'News and offers', description: 'News about the clinic, new services and offers.' },
  research: { label: 'Research', description: 'Invitations to take part in studies and surveys about care.' },
};
const PURPOSE_ORDER: Purpose[] = ['care', 'billing', 'education', 'marketing', 'research'];
const CHANNEL_TEXT = { email: 'Email', sms: 'Text message' } as const;

type Editable = 'email' | 'sms';
const keyOf = (channel: string, purpose: string) => `${channel}:${purpose}`;

/** /preferences/:token: what the clinic may send, per channel and purpose, changed at once. */
export function PreferencesPage({ token }: { token: string }) {
  const load = useCallback((signal: AbortSignal) => fetchPreferences(token, signal), [token]);
  const query = useApiQuery(load);
  const clinicName = query.status === 'success' ? query.data.clinic.name : null;
  return (
    <LinkFrame clinicName={clinicName} title="Your message preferences">
      {query.status === 'loading' && <LinkLoading label="Loading your preferences" />}
      {query.status === 'error' && <LinkProblem error={query.error} />}
      {query.status === 'success' && <Preferences token={token} view={query.data} onSaved={query.setData} />}
    </LinkFrame>
  );
}

function Preferences({ token, view, onSaved }: { token: string; view: PreferencesView; onSaved: (view: PreferencesView) => void }) {
  const { search } = useLocation();
  const unsubscribed = search.get('unsubscribed') as Purpose | null;
  const unsubscribedFrom: Editable = search.get('channel') === 'sms' ? 'sms' : 'email';
  const answers = useMemo(() => new Map(view.consent.map((a) => [keyOf(a.channel, a.purpose), a])), [view]);
  const [draft, setDraft] = useState<Record<string, boolean>>({});
  const [saved, setSaved] = useState(false);
  const save = useAction(savePreferences);

  const isOn = (channel: Editable, purpose: Purpose) => draft[keyOf(channel, purpose)] ?? answers.get(keyOf(channel, purpose))?.allowed ?? false;
  const changes: ConsentChange[] = Object.entries(draft)
    .filter(([key, on]) => answers.get(key)?.allowed !== on)
    .map(([key, on]) => {
      const [channel, purpose] = key.split(':') as [Editable, Purpose];
      return { channel, purpose, status: on ? 'granted' : 'withdrawn' };
    });

  async function submit() {
    const next = await save.run(token, changes);
    if (!next) return;
    setDraft({});
    setSaved(true);
    onSaved(next);
  }

  return (
    <Stack gap="lg">
      <Stack gap={4}>
        <Title order={1} fz="h2">
          Your message preferences
        </Title>
        <Text>
          Hi {view.patient.firstName}, choose what {view.clinic.name} may send you. Changes take effect at once.
        </Text>
      </Stack>
      {/* Until the patient turns it back on. */}
      {unsubscribed && PURPOSE_TEXT[unsubscribed] && !answers.get(keyOf(unsubscribedFrom, unsubscribed))?.allowed && (
        <Alert color="teal" variant="light" role="status" title="You are unsubscribed">
          You will no longer get {PURPOSE_TEXT[unsubscribed].label.toLowerCase()} {unsubscribedFrom === 'sms' ? 'text messages' : 'emails'} from {view.clinic.name}. You can turn them back on below.
        </Alert>
      )}
      {saved && changes.length === 0 && (
        <Alert color="teal" variant="light" role="status">
          Saved. Your preferences are up to date.
        </Alert>
      )}
      {save.error !== null && save.error !== undefined && (
        <Alert color="red" variant="light" role="alert">
          {errorMessage(save.error)}
        </Alert>
      )}
      {PURPOSE_ORDER.map((purpose) => (
        <PurposeCard
          key={purpose}
          purpose={purpose}
          isOn={isOn}
          inApp={answers.get(keyOf('in_app', purpose))}
          reachable={view.reachable}
          onToggle={(channel, on) => {
            setSaved(false);
            save.reset();
            setDraft((d) => ({ ...d, [keyOf(channel, purpose)]: on }));
          }}
        />
      ))}
      <Group>
        <Button onClick={() => void submit()} loading={save.pending} disabled={changes.length === 0}>
          {changes.length ? `Save ${changes.length} change${changes.length === 1 ? '' : 's'}` : 'Save changes'}
        </Button>
        {changes.length > 0 && (
          <Button variant="default" onClick={() => setDraft({})}>
            Undo
          </Button>
        )}
      </Group>
    </Stack>
  );
}

function PurposeCard(props: {
  purpose: Purpose;
  isOn: (channel: Editable, purpose: Purpose) => boolean;
  inApp: ConsentAnswer | undefined;
  reachable: PreferencesView['reachable'];
  onToggle: (channel: Editable, on: boolean) => void;
}) {
  const { purpose, isOn, inApp, reachable, onToggle } = props;
  const text = PURPOSE_TEXT[purpose];
  const headingId = `purpose-${purpose}`;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby={headingId}>
      <Stack gap="sm">
        <Stack gap={2}>
          <Title order={2} fz="md" id={headingId}>
            {text.label}
          </Title>
          <Text fz="sm" c="dimmed">
            {text.description}
          </Text>
        </Stack>
        {(['email', 'sms'] as const).map((channel) => {
          const on = isOn(channel, purpose);
          return (
            <Switch
              key={channel}
              size="md"
              checked={on}
              onChange={(event) => onToggle(channel, event.currentTarget.checked)}
              label={CHANNEL_TEXT[channel]}
              // Five switches are called "Email": the accessible name says which.
              aria-label={`${CHANNEL_TEXT[channel]}: ${text.label}`}
              styles={{ label: { fontWeight: 500 } }}
              description={
                !reachable[channel]
                  ? `The clinic has no ${channel === 'email' ? 'email address' : 'mobile number'} for you.`
                  : purpose === 'care' && !on
                    ? `You will not get appointment reminders by ${channel === 'email' ? 'email' : 'text'}.`
                    : undefined
              }
            />
          );
        })}
        {inApp && (
          <Group gap="xs">
            <Text fz="sm">In-app messages:</Text>
            <Badge variant="light" color={inApp.allowed ? 'teal' : 'gray'}>
              {inApp.allowed ? 'On' : 'Off'}
            </Badge>
            <Text fz="xs" c="dimmed">
              (ask the clinic to change this)
            </Text>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
