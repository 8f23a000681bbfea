import { useState } from 'react';
import { Alert, Button, Collapse, Group, Paper, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconFlask } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { simulateText } from './api.ts';

/**
 * Shown while the clinic has no SMS provider: says plainly that replies go nowhere, and lets
 * admins and front desk play a patient texting in, so the inbox can be tried before signing up
 * with a provider.
 */
export function SandboxPanel({ canSimulate, onSimulated }: { canSimulate: boolean; onSimulated: (conversationId: string) => void }) {
  const [open, form] = useDisclosure(false);
  const [from, setFrom] = useState('');
  const [body, setBody] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit() {
    setSending(true);
    setError(null);
    try {
      const result = await simulateText(from, body);
      setBody('');
      onSimulated(result.conversationId);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSending(false);
    }
  }

  return (
    <Alert color="grape" variant="light" icon={<IconFlask aria-hidden />} title="Sandbox">
      No SMS provider is configured: replies are kept in the sandbox, not delivered.
      {canSimulate && (
        <>
          <Group mt="xs">
            <Button size="xs" variant="white" color="grape" onClick={form.toggle}>
              Simulate a patient text
            </Button>
          </Group>
          <Collapse expanded={open}>
            <Paper
              component="form"
              aria-label="Simulate a patient text"
              withBorder
              radius="md"
              p="sm"
              mt="xs"
              onSubmit={(event) => {
                event.preventDefault();
                void submit();
              }}
            >
              {error && (
                <Alert color="red" variant="light" mb="xs" role="alert">
                  {error}
                </Alert>
              )}
              <Group align="flex-end" gap="sm">
                <TextInput label="From (the patient's mobile)" placeholder="+1 413-555-0142" value={from} onChange={(e) => setFrom(e.currentTarget.value)} required w={220} />
                <TextInput label="Text" placeholder="C, STOP, or anything else" value={body} onChange={(e) => setBody(e.currentTarget.value)} required style={{ flex: 1 }} />
                <Button type="submit" loading={sending} disabled={!from.trim() || !body.trim()}>
                  Receive
                </Button>
              </Group>
            </Paper>
          </Collapse>
        </>
      )}
    </Alert>
  );
}
