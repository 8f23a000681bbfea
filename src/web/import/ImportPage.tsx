import { useState } from 'react';
import { FileInput, Paper, Stack, Text } from '@mantine/core';
import { IconFileSpreadsheet } from '@tabler/icons-react';
import { ApiError } from '../api/client.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { previewImport, startImport } from './api.ts';
import { ImportRunPanel } from './ImportRunPanel.tsx';
import { MappingStep } from './MappingStep.tsx';
import { isFinished, type DateFormat, type ImportPreview, type ImportRun } from './types.ts';

/** The most the server takes in one import; checked here too so a big file fails at once. */
const MAX_FILE_BYTES = 20 * 1024 * 1024;

type Loaded = { file: File; csv: string; preview: ImportPreview };

/**
 * Import patients from a CSV file: pick it (read in the browser), check how its columns map to
 * Rapport's fields, try a dry run that lists every bad row, then import. Rows whose MRN or
 * identifier matches a patient update that patient, so the same file can be imported again.
 */
export function ImportPage() {
  usePageTitle('Import patients');
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [dateFormat, setDateFormat] = useState<DateFormat>('YYYY-MM-DD');
  const [busy, setBusy] = useState<'reading' | 'starting' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [run, setRun] = useState<ImportRun | null>(null);

  async function pick(file: File | null) {
    setLoaded(null);
    setRun(null);
    setError(null);
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setError(new ApiError(413, 'payload_too_large', 'The file is larger than 20 MB, the most one import takes. Split it into smaller files.'));
      return;
    }
    setBusy('reading');
    try {
      const csv = await file.text();
      const preview = await previewImport(csv);
      setLoaded({ file, csv, preview });
      setMapping(preview.mapping);
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(null);
    }
  }

  async function start(dryRun: boolean) {
    if (!loaded) return;
    setBusy('starting');
    setError(null);
    try {
      setRun(await startImport({ filename: loaded.file.name, csv: loaded.csv, mapping, dateFormat, dryRun }));
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(null);
    }
  }

  const running = run !== null && !isFinished(run);

  return (
    <Stack gap="md" maw={1200}>
      <PageHeader
        title="Import patients"
        description="Bring patients in from a spreadsheet or another system's CSV export. Try a dry run first: it lists every row that would fail, and stores nothing."
      />

      <Paper withBorder radius="md" p="md">
        <Stack gap="sm">
          <FileInput
            label="CSV file"
            description="Comma, semicolon or tab separated, with a header line naming the columns. Up to 20 MB."
            placeholder="Choose a .csv file"
            accept=".csv,text/csv,text/plain"
            leftSection={<IconFileSpreadsheet size={18} aria-hidden />}
            onChange={(file) => void pick(file)}
            disabled={busy !== null || running}
            clearable
            w={{ base: '100%', sm: 480 }}
          />
          {busy === 'reading' && <Text fz="sm">Reading the file…</Text>}
        </Stack>
      </Paper>

      {error !== null && <ErrorAlert title="That did not work" error={error} />}

      {loaded && (
        <MappingStep
          fileName={loaded.file.name}
          preview={loaded.preview}
          mapping={mapping}
          onMappingChange={(column, target) => setMapping((m) => ({ ...m, [column]: target }))}
          dateFormat={dateFormat}
          onDateFormatChange={setDateFormat}
          locked={running}
          starting={busy === 'starting'}
          onStart={(dryRun) => void start(dryRun)}
        />
      )}

      {run && <ImportRunPanel key={run.id} started={run} onFinished={setRun} />}
    </Stack>
  );
}
