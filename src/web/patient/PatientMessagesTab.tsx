import { useCallback, useState } from 'react';
import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconSend } from '@tabler/icons-react';
import { useCursorList } from '../common/useCursorList.ts';
import { fetchPatientMessages } from '../messages/api.ts';
import { ConsentPanel } from '../messages/ConsentPanel.tsx';
import { statusLabel, statusLine } from '../messages/format.ts';
import { MessageDrawer } from '../messages/MessageDrawer.tsx';
import { MessageTable, useRefreshWhilePending } from '../messages/MessageTable.tsx';
import { SendMessageModal } from '../messages/SendMessageModal.tsx';

/** The patient's messages (in-app ones too), each with where it stands and why, a one-off message, and their consent. */
export function PatientMessagesTab({ patientId }: { patientId: string }) {
  const loadPage = useCallback((cursor: string | null, signal: AbortSignal) => fetchPatientMessages(patientId, cursor, signal), [patientId]);
  const messages = useCursorList(loadPage);
  useRefreshWhilePending(messages);
  const [open, setOpen] = useState<string | null>(null);
  const [writing, composer] = useDisclosure(false);

  return (
    <Stack gap="xl">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-end">
          <Stack gap={0}>
            <Title order={2} fz="lg">Messages</Title>
            <Text fz="sm" c="dimmed">Everything sent or meant for this patient, newest first. Open one to see it as sent and each attempt.</Text>
          </Stack>
          <Button leftSection={<IconSend size={16} aria-hidden />} onClick={composer.open}>
            Send message
          </Button>
        </Group>
        <MessageTable
          list={messages}
          showPatient={false}
          onOpen={setOpen}
          empty={{ title: 'No messages yet', description: 'Reminders, follow-ups and messages staff send to this patient appear here.' }}
        />
      </Stack>
      <ConsentPanel patientId={patientId} />
      <SendMessageModal
        patientId={patientId}
        opened={writing}
        onClose={composer.close}
        onSent={(message) => {
          composer.close();
          const line = statusLine(message);
          notifications.show({
            color: message.status === 'not_sent' ? 'orange' : 'teal',
            message: message.status === 'not_sent' ? `Not sent: ${line[0]?.toLowerCase()}${line.slice(1)}.` : `${statusLabel(message.status)}: it goes as soon as the rules allow.`,
          });
          messages.reload();
        }}
      />
      <MessageDrawer messageId={open} onClose={() => setOpen(null)} onChanged={messages.reload} />
    </Stack>
  );
}
