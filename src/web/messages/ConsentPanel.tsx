import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import { Badge, Button, Chip, EmptyState, Group, Paper, SegmentedControl, Select, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconHistory } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { CHANNELS, fetchConsent, PURPOSES, recordConsent, type Channel, type Consent, type ConsentCell, type ConsentSource, type Purpose } from './api.ts';
import { channelName, formatMoment, purposeName, sourceName } from './format.ts';

function CellBadge({ cell }: { cell: ConsentCell }) {
  const title = cell.recordedAt ? `${sourceName(cell.source ?? '')}, ${formatMoment(cell.recordedAt)}${cell.recordedBy?.name ? `, by ${cell.recordedBy.name}` : ''}` : undefined;
  if (cell.status === 'granted') return <Badge color="green" variant="light" title={title}>Granted</Badge>;
  if (cell.status === 'withdrawn') return <Badge color="red" variant="light" title={title}>Withdrawn</Badge>;
  return cell.needsOptIn ? (
    <Badge color="yellow" variant="outline">Needs opt-in</Badge>
  ) : (
    <Badge color="gray" variant="outline">Allowed (default)</Badge>
  );
}

function Matrix({ consent }: { consent: Consent }) {
  const cell = (channel: Channel, purpose: Purpose) => consent.matrix.find((m) => m.channel === channel && m.purpose === purpose);
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table verticalSpacing={6} aria-label="Consent by purpose and channel">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Purpose</Table.Th>
            {CHANNELS.map((c) => (
              <Table.Th key={c}>{channelName(c)}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {PURPOSES.map((p) => (
            <Table.Tr key={p} data-purpose={p}>
              <Table.Td>{purposeName(p)}</Table.Td>
              {CHANNELS.map((c) => {
                const found = cell(c, p);
                return (
                  <Table.Td key={c} data-channel={c}>
                    {found ? <CellBadge cell={found} /> : '—'}
                  </Table.Td>
                );
              })}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function RecordAnswer({ patientId, onRecorded }: { patientId: string; onRecorded: (consent: Consent) => void }) {
  const [channels, setChannels] = useState<string[]>([]);
  const [purposes, setPurposes] = useState<string[]>([]);
  const [status, setStatus] = useState<'granted' | 'withdrawn'>('granted');
  const [source, setSource] = useState<ConsentSource>('staff');
  const [note, setNote] = useState('');
  const save = useAction((body: Parameters<typeof recordConsent>[1]) => recordConsent(patientId, body));
  const errors = fieldErrorsOf(save.error);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = await save.run({ channels: channels as Channel[], purposes: purposes as Purpose[], status, source, note: note.trim() || null });
    if (result) {
      const stopped = result.messagesStopped ? ` ${result.messagesStopped} waiting message(s) will not be sent.` : '';
      notifications.show({ color: 'teal', message: `${status === 'granted' ? 'Consent recorded' : 'Withdrawal recorded'}.${stopped}` });
      setChannels([]);
      setPurposes([]);
      setNote('');
      onRecorded(result);
    }
  }

  return (
    <Paper withBorder radius="md" p="md">
      <form onSubmit={(event) => void handleSubmit(event)} noValidate aria-label="Record consent">
        <Stack gap="sm">
          <Text fw={600} fz="sm">Record the patient’s answer</Text>
          <SegmentedControl value={status} onChange={(v) => setStatus(v as 'granted' | 'withdrawn')} data={[{ value: 'granted', label: 'Grants' }, { value: 'withdrawn', label: 'Withdraws' }]} aria-label="Answer" />
          <Stack gap={4}>
            <Text fz="sm" fw={500}>Purposes</Text>
            <Chip.Group multiple value={purposes} onChange={setPurposes}>
              <Group gap="xs">
                {PURPOSES.map((p) => (
                  <Chip key={p} value={p} size="sm">{purposeName(p)}</Chip>
                ))}
              </Group>
            </Chip.Group>
            {errorAt(errors, 'purposes') && <Text c="red" fz="xs">{errorAt(errors, 'purposes')}</Text>}
          </Stack>
          <Stack gap={4}>
            <Text fz="sm" fw={500}>Channels</Text>
            <Chip.Group multiple value={channels} onChange={setChannels}>
              <Group gap="xs">
                {CHANNELS.map((c) => (
                  <Chip key={c} value={c} size="sm">{channelName(c)}</Chip>
                ))}
              </Group>
            </Chip.Group>
            {errorAt(errors, 'channels') && <Text c="red" fz="xs">{errorAt(errors, 'channels')}</Text>}
          </Stack>
          <Group grow align="flex-start">
            <Select
              label="How"
              allowDeselect={false}
              data={(['staff', 'form', 'keyword', 'import'] as const).map((s) => ({ value: s, label: sourceName(s) }))}
              value={source}
              onChange={(v) => setSource((v ?? 'staff') as ConsentSource)}
              error={errorAt(errors, 'source')}
            />
            <TextInput label="Note" placeholder="Optional" maxLength={500} value={note} onChange={(e) => setNote(e.currentTarget.value)} error={errorAt(errors, 'note')} />
          </Group>
          {save.error !== null && errors.size === 0 && <Text c="red" fz="sm" role="alert">{errorMessage(save.error)}</Text>}
          <Group justify="flex-end">
            <Button type="submit" loading={save.pending} disabled={!channels.length || !purposes.length} color={status === 'withdrawn' ? 'red' : undefined}>
              {status === 'granted' ? 'Record consent' : 'Record withdrawal'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function Ledger({ consent }: { consent: Consent }) {
  if (!consent.history.length) {
    return <EmptyState icon={<IconHistory aria-hidden />} title="No answers recorded" description="Until the patient answers, care and billing messages go and the others wait for an opt-in." py="sm" />;
  }
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing={6} aria-label="Consent history">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>What</Table.Th>
            <Table.Th>Answer</Table.Th>
            <Table.Th>How</Table.Th>
            <Table.Th>By</Table.Th>
            <Table.Th>Note</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {consent.history.map((h) => (
            <Table.Tr key={h.id}>
              <Table.Td>{formatMoment(h.recordedAt)}</Table.Td>
              <Table.Td>{purposeName(h.purpose)} · {channelName(h.channel)}</Table.Td>
              <Table.Td>
                <Badge color={h.status === 'granted' ? 'green' : 'red'} variant="light">{h.status === 'granted' ? 'Granted' : 'Withdrawn'}</Badge>
              </Table.Td>
              <Table.Td>{sourceName(h.source)}</Table.Td>
              <Table.Td>{h.recordedBy?.name ?? (h.recordedBy ? 'Staff' : 'The patient')}</Table.Td>
              <Table.Td>
                <Text fz="sm" style={{ wordBreak: 'break-word' }}>{h.note ?? ''}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** What the patient agreed to hear about, on which channel, and every answer they gave (when, how, recorded by whom). */
export function ConsentPanel({ patientId }: { patientId: string }) {
  const consent = useApiQuery(useCallback((signal: AbortSignal) => fetchConsent(patientId, signal), [patientId]));
  return (
    <Stack gap="sm">
      <Title order={2} fz="lg">Consent</Title>
      <Text fz="sm" c="dimmed">Care reminders and billing go until the patient opts out. Education, marketing and research need an opt-in first.</Text>
      {consent.status === 'loading' && <Skeleton height={200} radius="md" role="status" aria-label="Loading consent" />}
      {consent.status === 'error' && <ErrorAlert title="Consent could not be loaded" error={consent.error} onRetry={consent.reload} />}
      {consent.status === 'success' && (
        <>
          <Matrix consent={consent.data} />
          <RecordAnswer patientId={patientId} onRecorded={consent.setData} />
          <Title order={3} fz="md">History</Title>
          <Ledger consent={consent.data} />
        </>
      )}
    </Stack>
  );
}
