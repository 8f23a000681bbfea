import { useState } from 'react';
import { Alert, Badge, Button, Group, List, Paper, Stack, Text } from '@mantine/core';
import { IconEye } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import type { PatientSearchHit } from '../api/patients.ts';
import { useSession } from '../auth/AuthContext.tsx';
import { canSeePatients } from '../auth/roles.ts';
import { useAction } from '../common/useAction.ts';
import { PatientPicker } from '../patients/PatientPicker.tsx';
import { previewTemplate, type Preview, type PreviewRequest } from './api.ts';

/**
 * The draft as a patient would read it: with a patient picked by search (their appointment in
 * their own time zone) or with sample values. Email HTML shows in a sandboxed frame that can run
 * nothing and reach nothing.
 */
export function TemplatePreview({ draft }: { draft: PreviewRequest }) {
  const { user } = useSession();
  const withPatients = canSeePatients(user.role);
  const [patient, setPatient] = useState<PatientSearchHit | null>(null);
  const [result, setResult] = useState<Preview | null>(null);
  const preview = useAction(previewTemplate);

  async function run() {
    const answer = await preview.run({ ...draft, ...(patient ? { patientId: patient.id } : {}) });
    if (answer) setResult(answer);
  }

  return (
    <Stack gap="sm">
      {withPatients && <PatientPicker label="Preview with a patient (optional)" value={patient} onChange={setPatient} />}
      <Group>
        <Button variant="light" leftSection={<IconEye size={16} aria-hidden />} onClick={() => void run()} loading={preview.pending}>
          {patient ? `Preview for ${patient.givenName} ${patient.familyName}` : 'Preview with sample values'}
        </Button>
      </Group>
      {preview.error !== null && (
        <Alert color="red" variant="light" title="No preview">
          {errorMessage(preview.error)}
        </Alert>
      )}
      {result && (
        <Stack gap="xs" aria-label="Preview" component="section">
          {result.channel === 'email' ? (
            <>
              <Text fz="sm">
                <Text span fw={600}>Subject:</Text> {result.subject}
              </Text>
              <iframe title="Email preview" sandbox="" srcDoc={result.html ?? ''} style={{ width: '100%', height: 420, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8, background: 'white' }} />
            </>
          ) : (
            <Paper withBorder radius="lg" p="sm" maw={420} bg="var(--mantine-color-blue-0)">
              <Text fz="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="sms-preview">{result.text}</Text>
            </Paper>
          )}
          {result.sms && (
            <Group gap={6}>
              <Badge variant="light" color={result.sms.segments > 1 ? 'orange' : 'teal'}>
                {result.sms.segments} SMS segment{result.sms.segments === 1 ? '' : 's'}
              </Badge>
              <Text fz="xs" c="dimmed">{result.sms.characters} characters, {result.sms.encoding}</Text>
            </Group>
          )}
          <Text fz="xs" c="dimmed">
            {result.patient ? `For ${result.patient.name}${result.appointment ? '' : ' (no appointment on file: appointment details are examples)'}.` : 'Sample values throughout.'}
            {result.sampleVariables.length > 0 && ` Examples used for: ${result.sampleVariables.join(', ')}.`}
          </Text>
          {result.notes.map((note) => (
            <Text key={note} fz="xs" c="dimmed">{note}</Text>
          ))}
          {result.warnings.length > 0 && (
            <Alert color="orange" variant="light" title="Warnings">
              <List size="sm">{result.warnings.map((w) => <List.Item key={w}>{w}</List.Item>)}</List>
            </Alert>
          )}
        </Stack>
      )}
    </Stack>
  );
}
